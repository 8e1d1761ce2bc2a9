import { Hono } from "hono";
import { ApiError } from "../errors.js";
import type { ModelList } from "../llm/model-list.js";

/** Mounted at /v1/models: what an app can pass as `model` (the hosted API's list format, no cursors). */
export function modelsRouter(s: { models: ModelList }): Hono {
  const app = new Hono();
  app.get("/", async (c) => c.json({ object: "list", data: await s.models.list() }));
  app.get("/:model{.+}", async (c) => {
    const id = c.req.param("model");
    const model = await s.models.get(id);
    if (!model) throw new ApiError(404, `The model '${id}' does not exist or you do not have access to it.`, "invalid_request_error", "model", "model_not_found");
    return c.json(model);
  });
  return app;
}
