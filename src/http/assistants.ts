import { Hono } from "hono";
import { AssistantCreateParams, AssistantUpdateParams } from "../api/assistants.js";
import type { Assistant } from "../api/wire.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { normalizeResponseFormat, normalizeTools, V1_FILE_IDS_STORE, v1FileIdsToToolResources } from "../objects/normalize.js";
import type { ToolResourcesInput } from "../api/common.js";
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
    const id = newId("asst_");
    const toolResources = v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources, id);
    const assistant: Assistant = {
      id,
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
    const { resources: toolResources, sync } = reuseV1Store(current, p.file_ids, v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources, current.id));
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
    const saved = repo.update(updated);
    sync?.(); // only once the whole request was valid and applied
    return c.json(saved);
  });

  app.delete("/:id", (c) => {
    const id = c.req.param("id");
    if (!repo.delete(id)) throwNotFound(id);
    return c.json({ id, object: "assistant.deleted", deleted: true });
  });

  /**
   * v1 `file_ids` on modify replace the assistant's files. When its file_search store is the one made for its
   * earlier v1 `file_ids`, that store is to get exactly the new files (an empty list empties it) and stay
   * attached, rather than a new store being made and the old one left behind. `sync` does that; the caller
   * runs it after the update succeeded.
   */
  function reuseV1Store(current: Assistant, fileIds: string[] | undefined, resources: ToolResourcesInput | null | undefined) {
    const unchanged = { resources, sync: null };
    const [storeId, ...others] = current.tool_resources?.file_search?.vector_store_ids ?? [];
    if (fileIds === undefined || storeId === undefined || others.length > 0) return unchanged;
    const store = s.repos.vectorStores.get(storeId);
    if (store?.metadata[V1_FILE_IDS_STORE] !== current.id) return unchanged;
    const helper = resources?.file_search?.vector_stores?.[0];
    if (fileIds.length > 0 && helper?.metadata?.[V1_FILE_IDS_STORE] !== current.id) return unchanged; // file_search not the target
    return { resources: { ...resources, file_search: { vector_store_ids: [storeId] } }, sync: () => s.vectorStores.setFiles(storeId, fileIds) };
  }

  return app;
}
