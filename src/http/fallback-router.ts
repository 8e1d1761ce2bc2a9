import { type Result, type Router, UnsupportedPathError } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";

/**
 * Hono's RegExpRouter (one regular expression per method, the cheapest match) for every path it can decide, and
 * its TrieRouter, holding every route, for the paths it cannot.
 *
 * Why: the RegExpRouter refuses a route whose static segment sits beside a param at the same depth
 * (`POST /v1/threads/runs` beside `/v1/threads/:thread_id/...`, `POST /v1/responses/:response_id/cancel` beside
 * `POST /v1/responses/input_tokens` and `/compact`), and Hono's SmartRouter then takes the TrieRouter for every
 * request. Matching a path it has not seen (a new run's, with its new ids) in the TrieRouter was 4.2 % of a run
 * (BENCHMARKS.md, "Routes: the RegExpRouter wherever it can decide").
 *
 * Here only a path that one of the refused routes could match goes to the TrieRouter. The RegExpRouter holds every
 * other route, so for any other path it finds exactly what the TrieRouter would, in the same order.
 */
export class FallbackRouter<T> implements Router<T> {
  readonly name = "RegExpRouter, TrieRouter for what it refuses";
  private readonly fast = new RegExpRouter<T>();
  private readonly full = new TrieRouter<T>();
  /** What the routes the RegExpRouter refused can match, by method ("ALL": every method). */
  private readonly refused: { method: string; pattern: RegExp }[] = [];
  /** A route added after the first match (the RegExpRouter is built by then): every path goes to the TrieRouter. */
  private fastComplete = true;

  add(method: string, path: string, handler: T): void {
    this.full.add(method, path, handler);
    if (!this.fastComplete) return;
    try {
      this.fast.add(method, path, handler);
    } catch (err) {
      if (err instanceof UnsupportedPathError) this.refused.push({ method, pattern: matchesOf(path) });
      else this.fastComplete = false;
    }
  }

  match(method: string, path: string): Result<T> {
    if (!this.fastComplete) return this.full.match(method, path);
    for (const route of this.refused) {
      if ((route.method === method || route.method === "ALL") && route.pattern.test(path)) return this.full.match(method, path);
    }
    return this.fast.match(method, path);
  }
}

/**
 * Every path a route could match: its static segments as they are, a param as any one segment. A route with a
 * wildcard, a param's own pattern or an optional param is taken to match every path (the TrieRouter decides).
 */
function matchesOf(path: string): RegExp {
  if (/[*{}?]/.test(path)) return /^/;
  const segments = path.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.+^$()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}
