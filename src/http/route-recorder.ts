import type { Result, Router } from "hono/router";

/** What Hono's routers store per route: the handler and the route it was registered as. */
type Entry = [unknown, { path: string }];

export const UNMATCHED = "unmatched";

/**
 * A router that remembers what it matched last, so the edge can name the route pattern a request took
 * (metrics count by it) without being one of the route's middleware. Hono matches synchronously at the start
 * of `fetch`, before any handler runs, so right after `fetch` returns the last match is that request's.
 */
export class RouteRecorder<T extends Entry> implements Router<T> {
  readonly name: string;
  private last: Result<T> | null = null;

  constructor(private readonly inner: Router<T>) {
    this.name = inner.name;
  }

  add(method: string, path: string, handler: T): void {
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    return (this.last = this.inner.match(method, path));
  }

  /** The pattern of the last match's final handler (`/v1/threads/:thread_id/runs`); UNMATCHED when only middleware matched. */
  lastRoute(): string {
    const handlers = this.last?.[0];
    const pattern = handlers === undefined || handlers.length === 0 ? "" : handlers[handlers.length - 1]![0][1].path;
    return pattern === "" || pattern.endsWith("*") ? UNMATCHED : pattern;
  }
}
