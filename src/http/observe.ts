import type { Context, Handler, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { log, withLogFields } from "../log.js";
import type { Metrics } from "../metrics.js";
import { requireAdmin } from "./auth.js";

/**
 * Every request: its lines in the log carry its id (`request_id`, the `x-request-id` it is answered with), it
 * is counted by method, route pattern (never the path: ids would make every request its own series) and
 * status, and timed to its answer (the first byte of a stream). LOG_LEVEL=debug logs one line per request.
 */
export function observeRequests(metrics: Metrics): MiddlewareHandler {
  return (c, next) =>
    withLogFields({ request_id: c.get("requestId") as string }, async () => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const route = routeOf(c);
        const seconds = (performance.now() - started) / 1000;
        metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
        metrics.httpSeconds.observe({ method: c.req.method, route }, seconds);
        if (log.isLevelEnabled("debug")) log.debug({ method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) }, "request");
      }
    });
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
