import type { Result, Router } from "hono/router";

/** What Hono's routers store per route: the handler and the route it was registered as. */
type Entry = [unknown, { path: string }];

export const UNMATCHED = "unmatched";

/**
 * Matches kept per method and path. Clients poll the same URL over and over (a run, a response, a file being
 * indexed), and looking a match up cost less than Hono's TrieRouter matching it: ~0.6 µs a request of
 * `GET /v1/assistants/{id}` (BENCHMARKS.md, "GET: route matches kept"). Since then the RegExpRouter matches most
 * paths (fallback-router.ts), which costs about what a lookup that misses does (a new run's paths: 1.0 and 0.9 %
 * of a run in a CPU profile).
 * Bounded: past this many paths the oldest is forgotten, and a path longer than a URL of ids is not kept (a
 * flood of long unique paths holds at most KEPT_MATCHES × MAX_KEPT_PATH characters).
 */
const KEPT_MATCHES = 1024;
const MAX_KEPT_PATH = 256;

/**
 * A router that remembers what it matched last, so the edge can name the route pattern a request took
 * (metrics count by it) without being one of the route's middleware. Hono matches synchronously at the start
 * of `fetch`, before any handler runs, so right after `fetch` returns the last match is that request's.
 */
export class RouteRecorder<T extends Entry> implements Router<T> {
  readonly name: string;
  private last: Result<T> | null = null;
  /** Hono only reads a match (its params are decoded into a new object), so one result serves every request for it. */
  private readonly kept = new Map<string, Result<T>>();

  constructor(private readonly inner: Router<T>) {
    this.name = inner.name;
  }

  add(method: string, path: string, handler: T): void {
    this.kept.clear();
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_KEPT_PATH) return (this.last = this.inner.match(method, path));
    const key = `${method} ${path}`;
    let result = this.kept.get(key);
    if (result === undefined) {
      result = this.inner.match(method, path);
      if (this.kept.size >= KEPT_MATCHES) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(key, result);
    }
    return (this.last = result);
  }

  /** The pattern of the last match's final handler (`/v1/threads/:thread_id/runs`); UNMATCHED when only middleware matched. */
  lastRoute(): string {
    const handlers = this.last?.[0];
    const pattern = handlers === undefined || handlers.length === 0 ? "" : handlers[handlers.length - 1]![0][1].path;
    return pattern === "" || pattern.endsWith("*") ? UNMATCHED : pattern;
  }
}
