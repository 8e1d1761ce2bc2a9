import type { Context, Handler } from "hono";
import { log } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Authenticate } from "./auth.js";
import { requireAdminPrincipal } from "./auth.js";

/** What the edge reports of each answered request. */
export interface RequestObserver {
  /** A start time for `answered`: 0 unless requests are logged (LOG_LEVEL=debug), so the hot path reads no clock. */
  started(): number;
  answered(method: string, route: string, status: number, requestId: string, started: number): void;
}

/**
 * Every request is counted by method, route pattern (never the path: ids would make every request its own
 * series) and status; LOG_LEVEL=debug logs one line per request with its `request_id` (the `x-request-id` it
 * is answered with). Kept to a Map increment per request: prom-client's own per-call label hashing, a latency
 * histogram and a log context per request cost a third of a GET's throughput (bench/api-throughput.ts), so
 * the counts are handed to prom-client only when /metrics is read (Metrics.httpRequests' collect).
 */
export function requestObserver(metrics: Metrics): RequestObserver {
  return {
    started: () => (log.isLevelEnabled("debug") ? performance.now() : 0),
    answered: (method, route, status, requestId, started) => {
      metrics.countRequest(method, route, status);
      if (started !== 0) log.debug({ request_id: requestId, method, route, status, ms: Math.round(performance.now() - started) }, "request");
    },
  };
}

/**
 * `GET /metrics` in Prometheus's text format. Its counts span every project: with keys configured it needs an
 * admin key, or API_KEY where that is the only key (no API_KEYS_FILE: the operator's own key). Without keys the
 * server answers loopback only, like everything else.
 */
export function metricsHandler(metrics: Metrics, authenticate: Authenticate | null, apiKeyIsOperators: boolean): Handler {
  const answer = async (c: Context) => c.body(await metrics.text(), 200, { "content-type": metrics.contentType });
  if (authenticate === null) return answer;
  return (c) => {
    const principal = authenticate(c.req.raw);
    if (!(apiKeyIsOperators && principal.keyId === null)) requireAdminPrincipal(principal);
    return answer(c);
  };
}
