import { Hono } from "hono";
import { ConversationCreateParams, ConversationUpdateParams, ItemsCreateParams } from "../api/conversations.js";
import { ListQuery } from "../api/common.js";
import type { ConversationService } from "../responses/conversations.js";
import type { ResponseService } from "../responses/response-service.js";
import { includes } from "./responses.js";
import { listPage, listQuery } from "./list.js";
import { readJson } from "./validation.js";

export interface ConversationsRouterDeps {
  conversations: ConversationService;
  /** How items are shown (`include[]`: file_search results, code outputs, input image URLs). */
  responses: Pick<ResponseService, "presentItem">;
}

/** Mounted at /v1/conversations. */
export function conversationsRouter(s: ConversationsRouterDeps): Hono {
  const app = new Hono();

  app.post("/", async (c) => c.json(s.conversations.create(await readJson(c, ConversationCreateParams)).conversation));
  // Beyond the hosted API: the conversations of the key's project, newest first.
  app.get("/", (c) => {
    const q = listQuery(c, ListQuery);
    return c.json(listPage(s.conversations.page(q), q));
  });
  app.get("/:conversation_id", (c) => c.json(s.conversations.get(c.req.param("conversation_id"))));
  app.post("/:conversation_id", async (c) => c.json(s.conversations.update(c.req.param("conversation_id"), await readJson(c, ConversationUpdateParams))));
  app.delete("/:conversation_id", (c) => c.json(s.conversations.delete(c.req.param("conversation_id"))));

  app.post("/:conversation_id/items", async (c) => {
    const added = s.conversations.addItems(c.req.param("conversation_id"), await readJson(c, ItemsCreateParams));
    const shown = added.map((item) => s.responses.presentItem(item, includes(c)));
    return c.json({ object: "list", data: shown, first_id: shown[0]?.id ?? null, last_id: shown.at(-1)?.id ?? null, has_more: false });
  });
  app.get("/:conversation_id/items", (c) => {
    const q = listQuery(c, ListQuery);
    const page = s.conversations.itemPage(c.req.param("conversation_id"), q);
    const shown = page && { ...page, data: page.data.map((item) => s.responses.presentItem(item, includes(c))) };
    return c.json(listPage(shown, q));
  });
  app.get("/:conversation_id/items/:item_id", (c) => c.json(s.responses.presentItem(s.conversations.item(c.req.param("conversation_id"), c.req.param("item_id")), includes(c))));
  app.delete("/:conversation_id/items/:item_id", (c) => c.json(s.conversations.deleteItem(c.req.param("conversation_id"), c.req.param("item_id"))));

  return app;
}
