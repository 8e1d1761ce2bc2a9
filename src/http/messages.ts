import { Hono, type Context } from "hono";
import { z } from "zod";
import { ListQuery, MessageCreate } from "../api/common.js";
import { MessageUpdateParams } from "../api/threads.js";
import type { ThreadService } from "../objects/thread-service.js";
import { jsonText, listPageJson, listQuery } from "./list.js";
import { readJson } from "./validation.js";

const MessageListQuery = ListQuery.extend({ run_id: z.string().min(1).optional() });

export interface MessagesRouterDeps {
  threads: ThreadService;
}

/** Mounted at /v1/threads/:thread_id/messages. */
export function messagesRouter({ threads }: MessagesRouterDeps): Hono {
  const app = new Hono();
  const threadId = (c: Context): string => c.req.param("thread_id") ?? "";
  const messageId = (c: Context): string => c.req.param("message_id") ?? "";

  app.post("/", async (c) => {
    const thread = threads.find(threadId(c)).id; // 404 before any complaint about the body
    return c.json(threads.addMessage(thread, await readJson(c, MessageCreate)));
  });

  app.get("/", (c) => {
    const thread = threadId(c);
    threads.mustExist(thread); // 404 before any complaint about the query
    const q = listQuery(c, MessageListQuery);
    return jsonText(c, listPageJson(threads.messageBodies(thread, q.run_id, q), q));
  });

  app.get("/:message_id", (c) => c.json(threads.findMessage(threadId(c), messageId(c))));

  app.post("/:message_id", async (c) => {
    threads.findMessage(threadId(c), messageId(c)); // 404 before any complaint about the body
    return c.json(threads.updateMessage(threadId(c), messageId(c), await readJson(c, MessageUpdateParams)));
  });

  app.delete("/:message_id", (c) => {
    threads.deleteMessage(threadId(c), messageId(c));
    return c.json({ id: messageId(c), object: "thread.message.deleted", deleted: true });
  });

  return app;
}
