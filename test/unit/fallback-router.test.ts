/**
 * The app's router (src/http/fallback-router.ts): Hono's RegExpRouter where it can decide, its TrieRouter for the
 * paths of the routes the RegExpRouter refuses. What must hold: for every path and method, the same routes, in
 * the same order, with the same params, as the TrieRouter alone (what the app routed with before).
 */
import type { Result } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FallbackRouter } from "../../src/http/fallback-router.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

interface Route {
  method: string;
  path: string;
}

const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"];

/** Each matched route as "METHOD path", with its params resolved (a RegExpRouter's come from its stash). */
function resolved(result: Result<Route>): { route: string; params: Record<string, string> }[] {
  const [handlers, stash] = result as [[Route, Record<string, unknown>][], string[] | undefined];
  return handlers.map(([route, map]) => ({
    route: `${route.method} ${route.path}`,
    params: Object.fromEntries(Object.entries(map).map(([k, v]) => [k, stash ? stash[v as number]! : (v as string)])),
  }));
}

/**
 * Paths a route's pattern stands for: its params filled in, and a few near misses. No path holds a literal `*`:
 * for one, the TrieRouter returns a wildcard route twice (`POST /v1/*` for the path `/v1/*`), the RegExpRouter once.
 */
function pathsOf(path: string): string[] {
  const filled = path.replace(/:[^/]+/g, (m) => `${m.slice(1)}_x1`).replace(/\*$/, "anything/below");
  return [filled, `${filled}/`, `${filled}/extra`, path.replace(/:[^/]+/g, "runs").replace(/\*$/, "runs")];
}

describe("the app's router: the RegExpRouter where it can decide, else the TrieRouter", () => {
  let t: TestApp;
  let routes: Route[];
  beforeAll(async () => {
    t = await makeTestApp();
    routes = (t.app.routes as Route[]).map((r) => ({ method: r.method, path: r.path }));
  });
  afterAll(async () => {
    await t.close();
  });

  it("the app has routes the RegExpRouter alone refuses (so the fallback is what routes them)", () => {
    const alone = new RegExpRouter<Route>();
    expect(() => {
      for (const r of routes) alone.add(r.method, r.path, r);
      alone.match("GET", "/v1/models");
    }).toThrow();
  });

  it("every route's paths, with every method, match as in the TrieRouter alone: same routes, order and params", () => {
    const trie = new TrieRouter<Route>();
    const fallback = new FallbackRouter<Route>();
    for (const r of routes) {
      trie.add(r.method, r.path, r);
      fallback.add(r.method, r.path, r);
    }
    const paths = new Set(["/", "/v1", "/v1/", "/v1/threads/runs", "/v1/responses/compact", "/v1/responses/resp_1/cancel", "/nowhere"]);
    for (const r of routes) for (const p of pathsOf(r.path)) paths.add(p);
    let compared = 0;
    for (const path of paths) {
      for (const method of METHODS) {
        expect(resolved(fallback.match(method, path)), `${method} ${path}`).toEqual(resolved(trie.match(method, path)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(METHODS.length * routes.length);
  });

  it("a route added after the first match is still routed (everything then goes to the TrieRouter)", () => {
    const fallback = new FallbackRouter<Route>();
    fallback.add("GET", "/a/:id", { method: "GET", path: "/a/:id" });
    expect(resolved(fallback.match("GET", "/a/1"))).toEqual([{ route: "GET /a/:id", params: { id: "1" } }]);
    fallback.add("GET", "/b", { method: "GET", path: "/b" });
    expect(resolved(fallback.match("GET", "/b"))).toEqual([{ route: "GET /b", params: {} }]);
    expect(resolved(fallback.match("GET", "/a/2"))).toEqual([{ route: "GET /a/:id", params: { id: "2" } }]);
  });
});
