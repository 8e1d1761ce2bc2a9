/**
 * The app's router wrapper (src/http/route-recorder.ts): it keeps matches per method and path, so a URL asked
 * for again is not matched again. What must hold: every request gets the params of its own path, whatever was
 * kept or forgotten before, and the route it matched is the one named to the metrics.
 */
import { Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { H, RouterRoute } from "hono/types";
import { describe, expect, it } from "vitest";
import { RouteRecorder, UNMATCHED } from "../../src/http/route-recorder.js";

/** An app over a recorder, answering each route with its params (what a handler reads). */
function appWithRecorder() {
  const recorder = new RouteRecorder(new TrieRouter<[H, RouterRoute]>());
  const app = new Hono({ router: recorder });
  app.get("/v1/threads/:thread_id/runs/:run_id", (c) => c.json({ route: "run", ...c.req.param() }));
  app.post("/v1/threads/runs", (c) => c.json({ route: "create and run" }));
  app.post("/v1/threads/:thread_id/runs", (c) => c.json({ route: "create run", ...c.req.param() }));
  const ask = async (method: string, path: string) => {
    const res = await app.request(path, { method });
    return { status: res.status, body: res.status === 200 ? await res.json() : null, route: recorder.lastRoute() };
  };
  return { ask };
}

describe("route matches kept per method and path", () => {
  it("the same URL asked again gets the same route and params; another id on that route gets its own", async () => {
    const { ask } = appWithRecorder();
    for (let i = 0; i < 3; i++) {
      expect(await ask("GET", "/v1/threads/t1/runs/r1")).toEqual({ status: 200, body: { route: "run", thread_id: "t1", run_id: "r1" }, route: "/v1/threads/:thread_id/runs/:run_id" });
      expect(await ask("GET", "/v1/threads/t2/runs/r9")).toEqual({ status: 200, body: { route: "run", thread_id: "t2", run_id: "r9" }, route: "/v1/threads/:thread_id/runs/:run_id" });
    }
  });

  it("the method is part of what is kept: POST and GET on similar paths stay apart, and an unmatched one stays unmatched", async () => {
    const { ask } = appWithRecorder();
    for (let i = 0; i < 2; i++) {
      expect((await ask("POST", "/v1/threads/runs")).body).toEqual({ route: "create and run" });
      expect((await ask("POST", "/v1/threads/t1/runs")).body).toEqual({ route: "create run", thread_id: "t1" });
      const missing = await ask("GET", "/v1/threads/t1/runs");
      expect([missing.status, missing.route]).toEqual([404, UNMATCHED]);
    }
  });

  it("past the bound, forgotten paths are matched again, each still with its own params", async () => {
    const { ask } = appWithRecorder();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1500; i += 1) {
        const { body } = await ask("GET", `/v1/threads/t${i}/runs/r${i}`);
        expect(body).toEqual({ route: "run", thread_id: `t${i}`, run_id: `r${i}` });
      }
    }
  });

  it("a path too long to keep is still matched", async () => {
    const { ask } = appWithRecorder();
    const long = "t".repeat(2000);
    for (let i = 0; i < 2; i++) expect((await ask("GET", `/v1/threads/${long}/runs/r1`)).body).toEqual({ route: "run", thread_id: long, run_id: "r1" });
  });
});
