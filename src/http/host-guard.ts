import { isLoopback, type Config } from "../config.js";
import { ApiError } from "../errors.js";

/**
 * DNS rebinding guard (as Ollama does it). A web page at `http://evil.example:8080` whose name its owner
 * re-points at 127.0.0.1 is, to the browser, same-origin with this server: it can read every answer. What
 * gives it away is the Host header, which names the page's host. So a server bound to loopback answers only
 * Host values that are loopback names (127.x.x.x, [::1], `localhost`, `*.localhost`), the configured HOST,
 * or an `ALLOWED_HOSTS` entry; any other → 403. A server bound beyond loopback (it has an API key: a page
 * cannot know it) checks Host only when `ALLOWED_HOSTS` is set. `ALLOWED_HOSTS=*` turns the check off.
 *
 * A request without a Host header passes: every browser sends one, so its absence is no browser's request
 * (HTTP/1.0 clients, in-process calls).
 */

export type HostCheck = (host: string) => boolean;

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const PORT = /^\d{1,5}$/;
const HAS_PORT = /:\d+$/;
const DOT_BEFORE_PORT = /\.(?=:\d+$)/;

/** The predicate for Host header values, or null when this configuration checks none. */
export function hostCheck(config: Pick<Config, "host" | "allowedHosts">): HostCheck | null {
  if (config.allowedHosts.includes("*")) return null;
  if (!isLoopback(config.host) && config.allowedHosts.length === 0) return null;
  const names = new Set<string>(["localhost", "[::1]"]); // host names (any port)
  const withPort = new Set<string>(); // exact `name:port` entries
  const suffixes: string[] = []; // `*.example` → ".example"
  const own = bracketed(config.host.toLowerCase());
  if (own !== "0.0.0.0" && own !== "[::]") names.add(stripDot(own));
  for (const entry of config.allowedHosts) {
    if (entry.startsWith("*.")) suffixes.push(stripDot(entry.slice(1)));
    else if (HAS_PORT.test(entry)) withPort.add(entry.replace(DOT_BEFORE_PORT, ""));
    else names.add(stripDot(entry));
  }
  return (host) => {
    const lower = host.toLowerCase();
    const name = hostnameOf(lower);
    if (name === null) return false;
    if (names.has(name) || isLoopbackName(name)) return true;
    if (withPort.size > 0 && withPort.has(lower.replace(DOT_BEFORE_PORT, ""))) return true;
    for (const suffix of suffixes) if (name.endsWith(suffix)) return true;
    return false;
  };
}

/** Throws 403 (OpenAI's error shape) for a Host value `check` refuses; a request without Host passes. */
export type HostGuard = (host: string | null) => void;

export function hostGuard(check: HostCheck): HostGuard {
  let lastAllowed = ""; // a client sends one Host value over and over: one comparison on the hot path
  return (host) => {
    if (host === null || host === "" || host === lastAllowed) return;
    if (!check(host)) throw hostNotAllowed(host);
    lastAllowed = host;
  };
}

export function hostNotAllowed(host: string): ApiError {
  return new ApiError(
    403,
    `The Host header ${JSON.stringify(host.slice(0, 200))} is not allowed: this server answers only its own host names ` +
      `(localhost, loopback addresses, HOST). To reach it under another name, add that name to ALLOWED_HOSTS.`,
    "invalid_request_error",
    null,
    "host_not_allowed",
  );
}

/** localhost, `*.localhost`, [::1], 127.x.x.x: names that always mean this machine (lowercase, no trailing dot). */
export function isLoopbackName(name: string): boolean {
  return name === "localhost" || name === "[::1]" || name.endsWith(".localhost") || IPV4_LOOPBACK.test(name);
}

/** `name[:port]` or `[v6][:port]` (lowercase) → the name without a trailing dot; null when not of that form. */
export function hostnameOf(host: string): string | null {
  let name: string;
  let rest: string;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) return null;
    name = host.slice(0, end + 1);
    rest = host.slice(end + 1);
  } else {
    const colon = host.indexOf(":");
    if (colon < 0) return stripDot(host);
    if (host.indexOf(":", colon + 1) >= 0) return null; // an IPv6 address without brackets
    name = host.slice(0, colon);
    rest = host.slice(colon);
  }
  if (rest !== "" && !(rest.startsWith(":") && PORT.test(rest.slice(1)))) return null;
  return stripDot(name);
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
