/**
 * Turns whatever the `ollama` client throws into a ModelError a person can act on. Shared by the chat
 * model, the embedder and anything else that talks to Ollama, so every failure reads the same way.
 */
import { ModelError } from "./chat-model.js";
import { isAbortError } from "./call-lifetime.js";

export { cancellation, isAbortError } from "./call-lifetime.js";

/** What was being done when the error happened; it decides the wording and the kind. */
export interface OllamaCallContext {
  /** The configured OLLAMA_HOST, quoted back in "not reachable" messages. */
  host: string;
  /** The model the call named, for "run `ollama pull`" hints. */
  model?: string;
  /** `request`: before the reply started; `stream`: while reading a streamed reply. */
  phase: "request" | "stream";
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/** Maps any error from an Ollama call to a ModelError (a ModelError passes through unchanged). */
export function toModelError(err: unknown, ctx: OllamaCallContext): ModelError {
  if (err instanceof ModelError) return err;
  const status = responseStatus(err);
  if (status !== undefined) return fromStatus(status, errorText(err), ctx);
  if (ctx.phase === "stream") return fromStreamFailure(err);
  if (isConnectionFailure(err)) return unreachable(ctx.host);
  return new ModelError("http", `Ollama at ${ctx.host} sent a reply that could not be read: ${errorText(err)}`);
}

export function unreachable(host: string): ModelError {
  return new ModelError(
    "unreachable",
    `Ollama is not reachable at ${host}: start it with \`ollama serve\` or set OLLAMA_HOST.`,
  );
}

export function timedOut(ms: number, what: string): ModelError {
  return new ModelError(
    "timeout",
    `Ollama sent nothing for ${ms / 1000}s while ${what}: the model may still be loading or the machine is ` +
      "overloaded; try again, use a smaller model, or raise the timeout.",
  );
}

function fromStatus(status: number, text: string, ctx: OllamaCallContext): ModelError {
  // A 404 naming a model is "not pulled"; gin's bare "404 page not found" means the endpoint is missing.
  if (status === 404 && ctx.model && !/page not found/i.test(text)) {
    return new ModelError(
      "model_not_found",
      `Model '${ctx.model}' is not available in Ollama: run \`ollama pull ${ctx.model}\`.`,
    );
  }
  if (status === 404) {
    return new ModelError(
      "http",
      `Ollama at ${ctx.host} answered HTTP 404 (${text}): this Ollama is probably too old; upgrade it.`,
    );
  }
  // 5xx texts are often terse ("llama runner process has terminated"); the server log has the story.
  const hint = status >= 500 ? " (Ollama's server log has the details)" : "";
  return new ModelError("http", `Ollama answered HTTP ${status}: ${text}${hint}`);
}

function fromStreamFailure(err: unknown): ModelError {
  const text = errorText(err);
  // The client throws this when the body ends before a `done: true` line (the server stopped mid-reply).
  if (/did not receive done/i.test(text) || err instanceof TypeError) {
    return new ModelError(
      "stream",
      `The connection to Ollama broke in the middle of the reply (${causeText(err)}): check that Ollama is ` +
        "still running (it may have crashed or run out of memory) and try again.",
    );
  }
  // Anything else thrown mid-stream is the client re-throwing Ollama's own `{"error": ...}` line.
  return new ModelError("stream", `Ollama failed while generating the reply: ${text}`);
}

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown }).code;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
  // Node's fetch wraps every network failure (refused, DNS, TLS) in `TypeError: fetch failed`.
  return err instanceof TypeError && /fetch failed/i.test(err.message);
}

function responseStatus(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name !== "ResponseError") return undefined;
  const status = (err as { status_code?: unknown }).status_code;
  return typeof status === "number" ? status : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function causeText(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? `${errorText(err)}: ${cause.message}` : errorText(err);
}
