import type { Config } from "../config.js";
import { ApiError } from "../errors.js";
import { hostnameOf, isLoopbackName } from "./host-guard.js";

/**
 * Cross-site request guard and CORS (as Ollama's OLLAMA_ORIGINS). A page of another site can send "simple"
 * requests (form posts, `fetch(…, {mode: "no-cors"})`, multipart uploads) without any preflight; the browser
 * only hides the answer. Browsers put an `Origin` header on every such write and on every CORS request, so a
 * request whose Origin is present and not allowed → 403 before any route (or body reader) sees it.
 *
 * Allowed: the server's own origin (scheme://Host: the Playground), loopback origins (`http(s)://localhost`,
 * `*.localhost`, 127.x.x.x, [::1], any port), and `ALLOWED_ORIGINS` entries (`*` any; `*` inside an entry
 * stands for any run of characters). An allowed cross origin gets CORS headers: preflights (OPTIONS with
 * Access-Control-Request-Method) are answered 204 here, and its actual responses carry
 * Access-Control-Allow-Origin. No Origin header (SDKs, curl, same-origin GETs) → nothing to check.
 * The Host guard runs first, so "same origin" cannot be a rebound hostname.
 */

export type OriginVerdict = "same" | "cross" | false;
export type OriginCheck = (origin: string, host: string | null) => OriginVerdict;

const WEB_ORIGIN = /^https?:\/\/([^/?#@\s]+)$/;
const ALLOW_METHODS = "GET, POST, DELETE, OPTIONS";
/** Request headers the SDKs send (the openai SDK's `x-stainless-*` family included). */
const ALLOW_HEADERS = new Set(["authorization", "content-type", "accept", "openai-beta", "openai-organization", "openai-project", "idempotency-key", "x-request-id"]);
const ALLOW_HEADER_PREFIX = "x-stainless-";
const EXPOSE_HEADERS = "x-request-id";

export function originCheck(config: Pick<Config, "allowedOrigins">): OriginCheck {
  const any = config.allowedOrigins.includes("*");
  const exact = new Set(config.allowedOrigins.filter((o) => !o.includes("*")));
  const patterns = config.allowedOrigins
    .filter((o) => o !== "*" && o.includes("*"))
    .map((o) => new RegExp(`^${o.split("*").map(escapeRegExp).join(".*")}$`));
  return (origin, host) => {
    if (host !== null && (origin === `http://${host}` || origin === `https://${host}`)) return "same";
    const lower = origin.toLowerCase();
    if (host !== null && (lower === `http://${host.toLowerCase()}` || lower === `https://${host.toLowerCase()}`)) return "same";
    if (any || exact.has(lower) || isLoopbackOrigin(lower)) return "cross";
    for (const pattern of patterns) if (pattern.test(lower)) return "cross";
    return false;
  };
}

/**
 * What the Origin of a request calls for: null, nothing (no Origin, or the server's own); a string, an allowed
 * cross origin whose answer must be marked (markCrossOrigin); a Response, the answer to an allowed preflight.
 * A disallowed origin throws 403.
 */
export type OriginGuard = (request: Request) => Response | string | null;

export function originGuard(check: OriginCheck): OriginGuard {
  return (request) => {
    const headers = request.headers;
    const origin = headers.get("origin");
    if (origin === null) return null;
    const verdict = check(origin, headers.get("host"));
    if (verdict === false) throw originNotAllowed(origin);
    if (verdict === "same") return null;
    const preflightMethod = request.method === "OPTIONS" ? headers.get("access-control-request-method") : null;
    if (preflightMethod === null) return origin;
    const asked = headers.get("access-control-request-headers");
    const allowed = (asked ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== "" && (ALLOW_HEADERS.has(h) || h.startsWith(ALLOW_HEADER_PREFIX)));
    const answer: Record<string, string> = {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOW_METHODS,
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    };
    if (allowed.length > 0) answer["access-control-allow-headers"] = allowed.join(", ");
    return new Response(null, { status: 204, headers: answer });
  };
}

/** An allowed cross origin's answer: readable by its page, `x-request-id` included. */
export function markCrossOrigin(res: Response, origin: string): void {
  res.headers.set("access-control-allow-origin", origin);
  res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
  res.headers.append("vary", "Origin");
}

export function originNotAllowed(origin: string): ApiError {
  return new ApiError(
    403,
    `Requests from the origin ${JSON.stringify(origin.slice(0, 200))} are not allowed: a web page of another site may not ` +
      `call this server. To allow that origin, add it to ALLOWED_ORIGINS.`,
    "invalid_request_error",
    null,
    "origin_not_allowed",
  );
}

function isLoopbackOrigin(origin: string): boolean {
  const match = WEB_ORIGIN.exec(origin);
  if (!match) return false;
  const name = hostnameOf(match[1]!);
  return name !== null && isLoopbackName(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
