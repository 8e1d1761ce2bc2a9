import { Hono, type Context } from "hono";
import { z } from "zod";
import { notFound } from "../errors.js";
import type { AssistantService } from "../objects/assistant-service.js";
import type { ThreadService } from "../objects/thread-service.js";
import { messageFiles } from "../objects/v1-view.js";
import { pageOfArray } from "../store/array-page.js";
import { listPage, listQuery } from "./list.js";
import { readJson } from "./validation.js";

const AssistantFileCreateParams = z.strictObject({ file_id: z.string().min(1) });

/**
 * v1's `/assistants/{id}/files`, mounted at /v1/assistants/:assistant_id/files: attaching a file is a modify
 * of the assistant's `file_ids` (AssistantService), so v2 clients see the same files in its tool_resources.
 */
export function assistantFilesRouter({ assistants }: { assistants: AssistantService }): Hono {
  const app = new Hono();
  const assistantId = (c: Context): string => c.req.param("assistant_id") ?? "";

  app.post("/", async (c) => {
    const id = assistants.find(assistantId(c)).id; // 404 before any complaint about the body
    const { file_id } = await readJson(c, AssistantFileCreateParams);
    return c.json(assistants.attachFile(id, file_id));
  });

  app.get("/", (c) => {
    const assistant = assistants.find(assistantId(c));
    const q = listQuery(c);
    return c.json(listPage(pageOfArray(assistants.attachedFiles(assistant), q), q));
  });

  app.get("/:file_id", (c) => c.json(assistants.findFile(assistantId(c), c.req.param("file_id"))));

  app.delete("/:file_id", (c) => {
    const fileId = c.req.param("file_id");
    assistants.detachFile(assistantId(c), fileId);
    return c.json({ id: fileId, object: "assistant.file.deleted", deleted: true });
  });

  return app;
}

/** v1's `/threads/{t}/messages/{m}/files`, mounted at /v1/threads/:thread_id/messages/:message_id/files (read only, as in v1). */
export function messageFilesRouter({ threads }: { threads: ThreadService }): Hono {
  const app = new Hono();
  const filesOf = (c: Context) => messageFiles(threads.findMessage(c.req.param("thread_id") ?? "", c.req.param("message_id") ?? ""));

  app.get("/", (c) => {
    const files = filesOf(c);
    const q = listQuery(c);
    return c.json(listPage(pageOfArray(files, q), q));
  });

  app.get("/:file_id", (c) => {
    const file = filesOf(c).find((f) => f.id === c.req.param("file_id"));
    if (!file) throw notFound("message file", c.req.param("file_id"));
    return c.json(file);
  });

  return app;
}
