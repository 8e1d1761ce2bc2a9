import type { MessageCreateInput, ToolResourcesInput } from "../api/common.js";
import type { FileObject, MessageAttachment, ToolResources } from "../api/wire.js";
import { badRequest } from "../errors.js";
import type { FilesRepo } from "../store/files-repo.js";

/** What the object layer needs from vector stores: existence checks and the `vector_stores` create helper. */
export interface VectorStoreLinks {
  exists(vectorStoreId: string): boolean;
  /** Creates a store holding `file_ids` (the `tool_resources.file_search.vector_stores` helper); returns its id. */
  createForFiles(spec: NonNullable<NonNullable<ToolResourcesInput["file_search"]>["vector_stores"]>[number]): string;
  /** Adds files to an existing store (message attachments for file_search). */
  addFiles(vectorStoreId: string, fileIds: string[]): void;
}

/**
 * Checks that every id a request references exists, naming the offending field in `param`, and returns
 * the stored form of `tool_resources`.
 */
export class References {
  constructor(
    private readonly files: FilesRepo,
    private readonly vectorStores: VectorStoreLinks,
  ) {}

  fileIds(ids: readonly string[], param: string): void {
    ids.forEach((id, i) => {
      if (this.files.get(id) === null) throw badRequest(`No file found with id '${id}'.`, `${param}[${i}]`, "invalid_file_id");
    });
  }

  /** Validates a message's attachments; v1's `file_ids` become file_search attachments. */
  attachments(input: Pick<MessageCreateInput, "attachments" | "file_ids">, param: string): MessageAttachment[] {
    const attachments = input.attachments ?? [];
    this.fileIds(attachments.map((a) => a.file_id), param);
    this.fileIds(input.file_ids ?? [], param.replace(/attachments$/, "file_ids"));
    return [
      ...attachments.map((a) => ({ file_id: a.file_id, tools: a.tools ?? [] })),
      ...(input.file_ids ?? []).map((file_id) => ({ file_id, tools: [{ type: "file_search" as const }] })),
    ];
  }

  /** The uploaded file, or null (v1's assistant files date themselves by it). */
  file(id: string): FileObject | null {
    return this.files.get(id);
  }

  get links(): VectorStoreLinks {
    return this.vectorStores;
  }

  toolResources(input: ToolResourcesInput | null | undefined, param: string): ToolResources {
    const out: ToolResources = {};
    if (!input) return out;
    if (input.code_interpreter) {
      const ids = input.code_interpreter.file_ids ?? [];
      this.fileIds(ids, `${param}.code_interpreter.file_ids`);
      out.code_interpreter = { file_ids: ids };
    }
    if (input.file_search) out.file_search = { vector_store_ids: this.vectorStoreIds(input.file_search, param) };
    return out;
  }

  private vectorStoreIds(input: NonNullable<ToolResourcesInput["file_search"]>, param: string): string[] {
    const ids = input.vector_store_ids ?? [];
    ids.forEach((id, i) => {
      if (!this.vectorStores.exists(id)) {
        throw badRequest(`No vector store found with id '${id}'.`, `${param}.file_search.vector_store_ids[${i}]`);
      }
    });
    const helpers = input.vector_stores ?? [];
    if (ids.length + helpers.length > 1) {
      throw badRequest("Only one vector store can be attached.", `${param}.file_search.vector_store_ids`);
    }
    helpers.forEach((spec, i) => this.fileIds(spec.file_ids ?? [], `${param}.file_search.vector_stores[${i}].file_ids`));
    for (const spec of helpers) ids.push(this.vectorStores.createForFiles(spec));
    return ids;
  }
}
