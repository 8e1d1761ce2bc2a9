import type { AssistantCreateParams, AssistantUpdateParams } from "../api/assistants.js";
import type { ToolResourcesInput } from "../api/common.js";
import type { Assistant } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { AssistantsRepo } from "../store/assistants-repo.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { VectorStoresRepo } from "../store/vector-stores-repo.js";
import { normalizeResponseFormat, normalizeTools, V1_FILE_IDS_STORE, v1FileIdsToToolResources } from "./normalize.js";
import { applyPatch } from "./patch.js";
import type { References } from "./references.js";

/**
 * What a modify with v1 `file_ids` needs from vector stores: their files replaced. A port, as objects/ sits
 * beside retrieval/ (VectorStoreService fills it).
 */
export interface StoreFileSetter {
  /** Makes `fileIds` the store's files (missing ones added and indexed, the others removed). */
  setFiles(storeId: string, fileIds: string[]): void;
}

export interface AssistantServiceDeps {
  assistants: AssistantsRepo;
  /** Read only, for the v1 marker in a store's metadata. */
  vectorStores: Pick<VectorStoresRepo, "get">;
  storeFiles: StoreFileSetter;
  refs: References;
  clock: Clock;
}

/** Assistants: creation with the stored defaults, modify, delete, and the v1 `file_ids` compatibility. */
export class AssistantService {
  constructor(private readonly deps: AssistantServiceDeps) {}

  create(p: AssistantCreateParams): Assistant {
    const { refs } = this.deps;
    const tools = normalizeTools(p.tools ?? []);
    refs.fileIds(p.file_ids ?? [], "file_ids");
    const id = newId("asst_");
    const toolResources = v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources, id);
    const assistant: Assistant = {
      id,
      object: "assistant",
      created_at: this.deps.clock(),
      name: p.name ?? null,
      description: p.description ?? null,
      model: p.model,
      instructions: p.instructions ?? null,
      tools,
      tool_resources: refs.toolResources(toolResources, "tool_resources"),
      metadata: p.metadata ?? {},
      temperature: p.temperature ?? 1,
      top_p: p.top_p ?? 1,
      response_format: normalizeResponseFormat(p.response_format),
    };
    return this.deps.assistants.insert(assistant);
  }

  find(id: string): Assistant {
    return this.deps.assistants.get(id) ?? throwNotFound(id);
  }

  /** The stored JSON text, unparsed: GET /assistants/{id} sends it as it is (the row body is the wire object). */
  body(id: string): string {
    return this.deps.assistants.getBody(id) ?? throwNotFound(id);
  }

  /** A page of stored JSON texts; null when the cursor names no assistant. */
  pageBodies(q: PageQuery): Page<string> | null {
    return this.deps.assistants.pageBodies({}, q);
  }

  /** Applies a modify: keys sent replace the stored value, `metadata: null` clears it. */
  update(id: string, p: AssistantUpdateParams): Assistant {
    const { refs } = this.deps;
    const current = this.find(id);
    const tools = p.tools ? normalizeTools(p.tools) : current.tools;
    refs.fileIds(p.file_ids ?? [], "file_ids");
    const { resources: toolResources, sync } = this.reuseV1Store(current, p.file_ids, v1FileIdsToToolResources(p.file_ids, tools, p.tool_resources, current.id));
    const updated = applyPatch(current, {
      model: p.model,
      name: p.name,
      description: p.description,
      instructions: p.instructions,
      tools: p.tools && tools,
      tool_resources: toolResources === undefined ? undefined : refs.toolResources(toolResources, "tool_resources"),
      metadata: p.metadata === undefined ? undefined : (p.metadata ?? {}),
      temperature: p.temperature,
      top_p: p.top_p,
      response_format: p.response_format === undefined ? undefined : normalizeResponseFormat(p.response_format),
    });
    const saved = this.deps.assistants.update(updated);
    sync?.(); // only once the whole request was valid and applied
    return saved;
  }

  delete(id: string): void {
    if (!this.deps.assistants.delete(id)) throwNotFound(id);
  }

  /**
   * v1 `file_ids` on modify replace the assistant's files. When its file_search store is the one made for its
   * earlier v1 `file_ids`, that store is to get exactly the new files (an empty list empties it) and stay
   * attached, rather than a new store being made and the old one left behind. `sync` does that; the caller
   * runs it after the update succeeded.
   */
  private reuseV1Store(current: Assistant, fileIds: string[] | undefined, resources: ToolResourcesInput | null | undefined) {
    const unchanged = { resources, sync: null };
    const [storeId, ...others] = current.tool_resources?.file_search?.vector_store_ids ?? [];
    if (fileIds === undefined || storeId === undefined || others.length > 0) return unchanged;
    const store = this.deps.vectorStores.get(storeId);
    if (store?.metadata[V1_FILE_IDS_STORE] !== current.id) return unchanged;
    const helper = resources?.file_search?.vector_stores?.[0];
    if (fileIds.length > 0 && helper?.metadata?.[V1_FILE_IDS_STORE] !== current.id) return unchanged; // file_search not the target
    return { resources: { ...resources, file_search: { vector_store_ids: [storeId] } }, sync: () => this.deps.storeFiles.setFiles(storeId, fileIds) };
  }
}

function throwNotFound(id: string): never {
  throw notFound("assistant", id);
}
