/** A quick, never-throwing look at an Ollama server, for /health and the doctor command. */
import { clientFor } from "./ollama-client.js";
import { isAbortError, toModelError, unreachable } from "./ollama-errors.js";

export interface OllamaProbe {
  /** True when `/api/version` and `/api/tags` both answered. */
  reachable: boolean;
  /** Ollama's version, e.g. `0.12.3`, when reachable. */
  version?: string;
  /** Tags of the locally pulled models (e.g. `llama3.2:latest`); empty when unreachable. */
  models: string[];
  /** Why it is not reachable, phrased for a person. */
  error?: string;
}

/** Asks `/api/version` and `/api/tags` at once; gives up after `timeoutMs` (default 3000). Never throws. */
export async function probeOllama(host: string, timeoutMs = 3000): Promise<OllamaProbe> {
  const client = clientFor(host, AbortSignal.timeout(timeoutMs));
  try {
    const [{ version }, { models }] = await Promise.all([client.version(), client.list()]);
    return { reachable: true, version, models: models.map((m) => m.name) };
  } catch (err) {
    // A host that swallows packets (no refusal) ends in our timeout: to a person it is just as unreachable.
    const reason = isAbortError(err) || (err instanceof Error && err.name === "TimeoutError")
      ? unreachable(host)
      : toModelError(err, { host, phase: "request" });
    return { reachable: false, models: [], error: reason.message };
  }
}
