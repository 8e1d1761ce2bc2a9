import type { AssistantCreateParams, AssistantUpdateParams } from "../api/assistants.js";
import type { ToolResourcesInput } from "../api/common.js";
import type { Assistant } from "../api/wire.js";
import type { AssistantFile } from "../api/wire-v1.js";
import type { Clock } from "../clock.js";
import { badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { AssistantsRepo } from "../store/assistants-repo.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { VectorStoresRepo } from "../store/vector-stores-repo.js";
import { normalizeResponseFormat, normalizeTools, V1_FILE_IDS_STORE, v1FileIdsToToolResources } from "./normalize.js";
import { applyPatch } from "./patch.js";
import type { References } from "./references.js";

/**
 * What v1 `file_ids` need from vector stores: a store's files, read and replaced. A port, as objects/ sits
 * beside retrieval/ (VectorStoreService fills it).
 */
export interface StoreFiles {
  /** Makes `fileIds` the store's files (missing ones added and indexed, the others removed). */
  setFiles(storeId: string, fileIds: string[]): void;
  /** The store's files, oldest first, with when each joined. */
  members(storeId: string): { id: string; created_at: number }[];
}

/** v1 attached at most 20 files to an assistant. */
const V1_MAX_ASSISTANT_FILES = 20;

export interface AssistantServiceDeps {
  assistants: AssistantsRepo;
  /** Read only, for the v1 marker in a store's metadata. */
  vectorStores: Pick<VectorStoresRepo, "get">;
  storeFiles: StoreFiles;
  refs: References;
  clock: Clock;
}

/** Assistants: creation with the stored defaults, modify, delete, and the v1 `file_ids` and assistant files. */
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
      ...(p.reasoning_effort !== undefined ? { reasoning_effort: p.reasoning_effort } : {}),
    };
    return this.deps.assistants.insert(assistant);
  }

  /** The assistant, or null when there is none with this id. */
  get(id: string): Assistant | null {
    return this.deps.assistants.get(id);
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
      reasoning_effort: p.reasoning_effort,
    });
    const saved = this.deps.assistants.update(updated);
    sync?.(); // only once the whole request was valid and applied
    return saved;
  }

  delete(id: string): void {
    if (!this.deps.assistants.delete(id)) throwNotFound(id);
  }

  /**
   * The assistant's files as v1 saw them (`file_ids`, `/assistants/{id}/files`): those of its file_search
   * stores and its code_interpreter files, each once, in the order they were attached. A store member joined
   * when its row was made; a code_interpreter file has no such record, so it dates from its upload (or the
   * assistant's creation, if later). Deleting an upload removes it from stores; here it also leaves the list.
   */
  attachedFiles(a: Assistant): AssistantFile[] {
    const attachedAt = new Map<string, number>();
    for (const storeId of a.tool_resources?.file_search?.vector_store_ids ?? []) {
      for (const member of this.deps.storeFiles.members(storeId)) if (!attachedAt.has(member.id)) attachedAt.set(member.id, member.created_at);
    }
    for (const fileId of a.tool_resources?.code_interpreter?.file_ids ?? []) {
      const upload = attachedAt.has(fileId) ? null : this.deps.refs.file(fileId);
      if (upload) attachedAt.set(fileId, Math.max(a.created_at, upload.created_at)); // a deleted upload is no file of it
    }
    return [...attachedAt]
      .map(([id, created_at]): AssistantFile => ({ id, object: "assistant.file", created_at, assistant_id: a.id }))
      .sort((x, y) => x.created_at - y.created_at);
  }

  findFile(id: string, fileId: string): AssistantFile {
    const file = this.attachedFiles(this.find(id)).find((f) => f.id === fileId);
    if (!file) throw notFound("assistant file", fileId);
    return file;
  }

  /** v1's `POST /assistants/{id}/files`: one more file, as a modify with the longer `file_ids` would attach it. */
  attachFile(id: string, fileId: string): AssistantFile {
    const attached = this.attachedFiles(this.find(id));
    const existing = attached.find((f) => f.id === fileId);
    if (existing) return existing; // attaching twice is attaching once
    if (this.deps.refs.file(fileId) === null) throw badRequest(`No file found with id '${fileId}'.`, "file_id", "invalid_file_id");
    if (attached.length >= V1_MAX_ASSISTANT_FILES) {
      throw badRequest(`An assistant can have at most ${V1_MAX_ASSISTANT_FILES} files attached.`, "file_id");
    }
    this.update(id, { file_ids: [...attached.map((f) => f.id), fileId] });
    return this.findFile(id, fileId);
  }

  /** v1's `DELETE /assistants/{id}/files/{file_id}`: the modify with that file left out. The file itself stays. */
  detachFile(id: string, fileId: string): void {
    const attached = this.attachedFiles(this.find(id));
    if (!attached.some((f) => f.id === fileId)) throw notFound("assistant file", fileId);
    this.update(id, { file_ids: attached.filter((f) => f.id !== fileId).map((f) => f.id) });
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
