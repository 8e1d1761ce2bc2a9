import { Hono } from "hono";
import { ThreadCreateParams, ThreadUpdateParams } from "../api/threads.js";
import type { Thread } from "../api/wire.js";
import { notFound } from "../errors.js";
import { applyPatch } from "../objects/patch.js";
import type { AppServices } from "../services.js";
import { readJson } from "./validation.js";

export function threadsRouter(s: AppServices): Hono {
  const app = new Hono();
  const find = (id: string): Thread => {
    const thread = s.repos.threads.get(id);
    if (!thread) throw notFound("thread", id);
    return thread;
  };

  app.post("/", async (c) => c.json(s.threads.create(await readJson(c, ThreadCreateParams))));

  app.get("/:thread_id", (c) => c.json(find(c.req.param("thread_id"))));

  app.post("/:thread_id", async (c) => {
    const current = find(c.req.param("thread_id"));
    const p = await readJson(c, ThreadUpdateParams);
    const updated = applyPatch(current, {
      tool_resources: p.tool_resources === undefined ? undefined : s.refs.toolResources(p.tool_resources, "tool_resources"),
      metadata: p.metadata === undefined ? undefined : (p.metadata ?? {}),
    });
    return c.json(s.repos.threads.update(updated));
  });

  app.delete("/:thread_id", (c) => {
    const id = c.req.param("thread_id");
    s.engine.abortThread(id);
    if (!s.threads.delete(id)) throw notFound("thread", id);
    return c.json({ id, object: "thread.deleted", deleted: true });
  });

  return app;
}
