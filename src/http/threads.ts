import { Hono } from "hono";
import { ThreadCreateParams, ThreadUpdateParams } from "../api/threads.js";
import type { ThreadService } from "../objects/thread-service.js";
import { readJson } from "./validation.js";

export interface ThreadsRouterDeps {
  threads: ThreadService;
}

/** Mounted at /v1/threads (after the runs router, which owns /threads/runs). */
export function threadsRouter({ threads }: ThreadsRouterDeps): Hono {
  const app = new Hono();

  app.post("/", async (c) => c.json(threads.create(await readJson(c, ThreadCreateParams))));

  app.get("/:thread_id", (c) => c.json(threads.find(c.req.param("thread_id"))));

  app.post("/:thread_id", async (c) => {
    const id = c.req.param("thread_id");
    threads.find(id); // an unknown id is a 404 before any complaint about the body
    return c.json(threads.update(id, await readJson(c, ThreadUpdateParams)));
  });

  app.delete("/:thread_id", (c) => {
    const id = c.req.param("thread_id");
    threads.delete(id);
    return c.json({ id, object: "thread.deleted", deleted: true });
  });

  return app;
}
