import type { Context, Handler, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { log } from "../log.js";
import type { Metrics } from "../metrics.js";
import { requireAdmin } from "./auth.js";

/**
 * Every request is counted by method, route pattern (never the path: ids would make every request its own
 * series) and status; LOG_LEVEL=debug logs one line per request with its `request_id` (the `x-request-id` it
 * is answered with). Kept to a Map increment per request: prom-client's own per-call label hashing, a latency
 * histogram and a log context per request cost a third of a GET's throughput (bench/api-throughput.ts), so
 * the counts are handed to prom-client only when /metrics is read (Metrics.httpRequests' collect).
 */
export function observeRequests(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = log.isLevelEnabled("debug") ? performance.now() : 0;
    try {
      await next();
    } finally {
      const route = routeOf(c);
      metrics.countRequest(c.req.method, route, c.res.status);
      if (started !== 0) log.debug({ request_id: c.get("requestId") as string, method: c.req.method, route, status: c.res.status, ms: Math.round(performance.now() - started) }, "request");
    }
  };
}

/** The pattern of the route that answered (`/v1/threads/:thread_id/runs`), or "unmatched". */
function routeOf(c: Context): string {
  const pattern = routePath(c); // after next(): the handler that answered
  return pattern === "*" || pattern === "/*" ? "unmatched" : pattern;
}

/**
 * `GET /metrics` in Prometheus's text format. Its counts span every project: with keys configured it needs an
 * admin key, or API_KEY where that is the only key (no API_KEYS_FILE: the operator's own key). Without keys the
 * server answers loopback only, like everything else.
 */
export function metricsHandler(metrics: Metrics, auth: MiddlewareHandler | null, apiKeyIsOperators: boolean): Handler {
  const answer = async (c: Context) => c.body(await metrics.text(), 200, { "content-type": metrics.contentType });
  if (auth === null) return answer;
  return (c) =>
    auth(c, async () => {
      const principal = c.get("principal") as { admin: boolean; keyId: string | null } | undefined;
      if (!(apiKeyIsOperators && principal?.keyId === null)) requireAdmin(c);
      c.res = await answer(c);
    }) as Promise<Response>;
}
