import { Hono } from "hono";
import { AssistantCreateParams, AssistantUpdateParams } from "../api/assistants.js";
import type { AssistantService } from "../objects/assistant-service.js";
import { jsonText, listPageJson, listQuery } from "./list.js";
import { readJson } from "./validation.js";

export interface AssistantsRouterDeps {
  assistants: AssistantService;
}

/** Mounted at /v1/assistants. Parses, calls the service, answers. */
export function assistantsRouter({ assistants }: AssistantsRouterDeps): Hono {
  const app = new Hono();

  app.post("/", async (c) => c.json(assistants.create(await readJson(c, AssistantCreateParams))));

  app.get("/", (c) => {
    const q = listQuery(c);
    return jsonText(c, listPageJson(assistants.pageBodies(q), q));
  });

  // The stored body is the wire object: sent as text, no parse (the hot read).
  app.get("/:id", (c) => jsonText(c, assistants.body(c.req.param("id"))));

  app.post("/:id", async (c) => {
    const id = c.req.param("id");
    assistants.find(id); // an unknown id is a 404 before any complaint about the body
    return c.json(assistants.update(id, await readJson(c, AssistantUpdateParams)));
  });

  app.delete("/:id", (c) => {
    const id = c.req.param("id");
    assistants.delete(id);
    return c.json({ id, object: "assistant.deleted", deleted: true });
  });

  return app;
}
