import type { Handler } from "hono";
import { ApiError } from "../errors.js";
import type { Authenticate } from "./auth.js";

export interface HealthDeps {
  readonly version: string;
  /**
   * The model server: `{backend: "ollama", ollama: {reachable, version, models}}` or `{backend: "openai", openai:
   * {url, reachable, models}}`; app.ts hands in the llm layer's probe.
   */
  probeModels(): Promise<Record<string, unknown>>;
  /** The /v1 key check, or null when the server has no key. */
  readonly authenticate: Authenticate | null;
  /**
   * Whether this node can serve: the database answers and the data directory can be written. A failure is
   * the reason, phrased for a person; null: ready.
   */
  readiness(): Promise<{ database: string | null; storage: string | null }>;
}

/**
 * `GET /health`. Without a key configured the server answers only loopback (config refuses anything else,
 * and the Host guard refuses rebound names), so everyone who can ask is this machine's user: the full answer
 * (version, the model server's reachability, version and models: the Playground shows them). With a key configured,
 * only a request carrying a valid key gets that; any other learns only that the server is up,
 * `{"status":"ok"}`, so monitors and load balancers need no key.
 *
 * Ready means the database answers and the data directory takes writes: otherwise 503 with
 * `{"status":"unavailable"}` (and, for the full answer, which of the two failed and why), so a load balancer
 * sends requests elsewhere. The model server is shown, not required: runs fail clearly without it.
 */
export function healthHandler(s: HealthDeps): Handler {
  const authenticate = s.authenticate;
  return async (c) => {
    const ready = await s.readiness();
    const up = ready.database === null && ready.storage === null;
    const status = up ? "ok" : "unavailable";
    if (authenticate !== null && !passes(authenticate, c.req.raw)) return c.json({ status }, up ? 200 : 503);
    const problems = up ? {} : { problems: { ...(ready.database ? { database: ready.database } : {}), ...(ready.storage ? { storage: ready.storage } : {}) } };
    return c.json({ status, version: s.version, ...problems, ...(await s.probeModels()) }, up ? 200 : 503);
  };
}

/** Whether the request's key is good (a 401 is the answer "no"). */
function passes(authenticate: Authenticate, request: Request): boolean {
  try {
    authenticate(request);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    throw err;
  }
}
