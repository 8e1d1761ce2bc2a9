import { Hono } from "hono";
import { z } from "zod";
import { ListQuery, MessageCreate } from "../api/common.js";
import { MessageUpdateParams } from "../api/threads.js";
import type { Message } from "../api/wire.js";
import { notFound } from "../errors.js";
import type { AppServices } from "../services.js";
import { jsonText, listPageJson, listQuery } from "./list.js";
import { readJson } from "./validation.js";

const MessageListQuery = ListQuery.extend({ run_id: z.string().min(1).optional() });

/** Mounted at /v1/threads/:thread_id/messages. */
export function messagesRouter(s: AppServices): Hono {
  const app = new Hono();
  const threadId = (c: { req: { param(name: string): string | undefined } }): string => {
    const id = c.req.param("thread_id") ?? "";
    if (!s.repos.threads.get(id)) throw notFound("thread", id);
    return id;
  };
  const find = (thread: string, id: string): Message => {
    const message = s.repos.messages.getInThread(thread, id);
    if (!message) throw notFound("message", id);
    return message;
  };

  app.post("/", async (c) => {
    const thread = threadId(c);
    return c.json(s.threads.addMessage(thread, await readJson(c, MessageCreate)));
  });

  app.get("/", (c) => {
    const thread = threadId(c);
    const q = listQuery(c, MessageListQuery);
    const filter: Record<string, string> = { thread_id: thread };
    if (q.run_id !== undefined) filter.run_id = q.run_id;
    return jsonText(c, listPageJson(s.repos.messages.pageBodies(filter, q), q));
  });

  app.get("/:message_id", (c) => c.json(find(threadId(c), c.req.param("message_id"))));

  app.post("/:message_id", async (c) => {
    const current = find(threadId(c), c.req.param("message_id"));
    const p = await readJson(c, MessageUpdateParams);
    // Like assistants and threads: metadata left out keeps its value, metadata sent as null clears it.
    const metadata = p.metadata === undefined ? current.metadata : (p.metadata ?? {});
    return c.json(s.repos.messages.update({ ...current, metadata }));
  });

  app.delete("/:message_id", (c) => {
    const message = find(threadId(c), c.req.param("message_id"));
    s.repos.messages.delete(message.id);
    return c.json({ id: message.id, object: "thread.message.deleted", deleted: true });
  });

  return app;
}
