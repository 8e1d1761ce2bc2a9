import { Hono } from "hono";
import { AssistantCreateParams, AssistantUpdateParams } from "../api/assistants.js";
import type { Assistant } from "../api/wire.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { normalizeResponseFormat, normalizeTools, v1FileIdsToToolResources } from "../objects/normalize.js";
import { applyPatch } from "../objects/patch.js";
import type { AppServices } from "../services.js";
import { jsonText, listPageJson, listQuery } from "./list.js";
import { readJson } from "./validation.js";

export function assistantsRouter(s: AppServices): Hono {
  const app = new Hono();
  const repo = s.repos.assistants;
  const find = (id: string): Assistant => repo.get(id) ?? throwNotFound(id);
  const throwNotFound = (id: string): never => {
    throw notFound("assistant", id);
  };

  app.post("/", async (c) => {
    const p = await readJson(c, AssistantCreateParams);
    const tools = normalizeTools(p.tools ?? []);
    s.refs.fileIds(p.file_ids ?? [], "file_ids");
    const toolResources = v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources);
    const assistant: Assistant = {
      id: newId("asst_"),
      object: "assistant",
      created_at: s.clock(),
      name: p.name ?? null,
      description: p.description ?? null,
      model: p.model,
      instructions: p.instructions ?? null,
      tools,
      tool_resources: s.refs.toolResources(toolResources, "tool_resources"),
      metadata: p.metadata ?? {},
      temperature: p.temperature ?? 1,
      top_p: p.top_p ?? 1,
      response_format: normalizeResponseFormat(p.response_format),
    };
    return c.json(repo.insert(assistant));
  });

  app.get("/", (c) => {
    const q = listQuery(c);
    return jsonText(c, listPageJson(repo.pageBodies({}, q), q));
  });

  app.get("/:id", (c) => jsonText(c, repo.getBody(c.req.param("id")) ?? throwNotFound(c.req.param("id"))));

  app.post("/:id", async (c) => {
    const current = find(c.req.param("id"));
    const p = await readJson(c, AssistantUpdateParams);
    const tools = p.tools ? normalizeTools(p.tools) : current.tools;
    s.refs.fileIds(p.file_ids ?? [], "file_ids");
    const toolResources = v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources);
    const updated = applyPatch(current, {
      model: p.model,
      name: p.name,
      description: p.description,
      instructions: p.instructions,
      tools: p.tools && tools,
      tool_resources: toolResources === undefined ? undefined : s.refs.toolResources(toolResources, "tool_resources"),
      metadata: p.metadata === undefined ? undefined : (p.metadata ?? {}),
      temperature: p.temperature,
      top_p: p.top_p,
      response_format: p.response_format === undefined ? undefined : normalizeResponseFormat(p.response_format),
    });
    return c.json(repo.update(updated));
  });

  app.delete("/:id", (c) => {
    const id = c.req.param("id");
    if (!repo.delete(id)) throwNotFound(id);
    return c.json({ id, object: "assistant.deleted", deleted: true });
  });

  return app;
}
