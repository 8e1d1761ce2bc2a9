import { Hono } from "hono";
import { ChatCompletionCreateParams } from "../api/chat.js";
import type { ChatCompletions } from "../chat/chat-completions.js";
import { sseResponse } from "./sse.js";
import { readJson } from "./validation.js";

/** Mounted at /v1/chat. */
export function chatRouter(s: { completions: ChatCompletions }): Hono {
  const app = new Hono();
  app.post("/completions", async (c) => {
    const p = await readJson(c, ChatCompletionCreateParams);
    // Chat streams are bare `data:` lines ending `data: [DONE]`, as the hosted API sends them.
    if (p.stream) return sseResponse(c, await s.completions.stream(p), { doneEvent: null });
    return c.json(await s.completions.create(p));
  });
  return app;
}
