import type { ToolResourcesInput } from "../api/common.js";
import type { FileBatchCreateParams, VectorStoreCreateParams, VectorStoreFileCreateParams } from "../api/vector-stores.js";
import type { ChunkingStrategy, FileAttributes, VectorStore, VectorStoreFile, VectorStoreFileBatch } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { VectorStoreLinks } from "../objects/references.js";
import { atomically, type Db } from "../store/db.js";
import type { FilesRepo } from "../store/files-repo.js";
import type { FileBatchesRepo, VectorStoreFilesRepo, VectorStoreIndexRepo, VectorStoresRepo } from "../store/vector-stores-repo.js";
import type { Ingestor } from "./ingestion/index.js";
import type { VectorIndex } from "./vector-index.js";
import { log } from "../log.js";

const DAY = 86_400;
const DEFAULT_CHUNKING: ChunkingStrategy = { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };

export interface VectorStoreRepos {
  db: Db;
  stores: VectorStoresRepo;
  storeFiles: VectorStoreFilesRepo;
  batches: FileBatchesRepo;
  indexSettings: VectorStoreIndexRepo;
  files: FilesRepo;
}

type ChunkingInput = VectorStoreCreateParams["chunking_strategy"];

/** Vector stores, their files and batches: the object side. Ingestion and search live beside it. */
export class VectorStoreService implements VectorStoreLinks {
  constructor(
    private readonly repos: VectorStoreRepos,
    private readonly index: VectorIndex,
    private readonly ingestor: Ingestor,
    private readonly clock: Clock,
  ) {}

  exists(id: string): boolean {
    return this.repos.stores.get(id) !== null;
  }

  /** The `tool_resources.file_search.vector_stores` helper: a store holding those files. */
  createForFiles(spec: NonNullable<NonNullable<ToolResourcesInput["file_search"]>["vector_stores"]>[number]): string {
    return this.create({ file_ids: spec.file_ids, chunking_strategy: spec.chunking_strategy, metadata: spec.metadata }).id;
  }

  create(p: VectorStoreCreateParams): VectorStore {
    const fileIds = p.file_ids ?? [];
    this.checkFiles(fileIds, "file_ids");
    const chunking = chunkingOf(p.chunking_strategy, "chunking_strategy");
    const now = this.clock();
    const store: VectorStore = {
      id: newId("vs_"),
      object: "vector_store",
      created_at: now,
      name: p.name ?? "",
      usage_bytes: 0,
      file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
      status: "completed",
      ...(p.expires_after ? { expires_after: p.expires_after } : {}),
      expires_at: p.expires_after ? now + p.expires_after.days * DAY : null,
      last_active_at: now,
      metadata: p.metadata ?? {},
    };
    atomically(this.repos.db, () => {
      this.repos.stores.insert(store);
      for (const fileId of fileIds) this.insertMember(store.id, fileId, chunking, {}, null);
    });
    for (const fileId of fileIds) this.ingestor.enqueue(store.id, fileId, true);
    return this.present(store);
  }

  /** A store with its live file counts, usage and status. */
  present(store: VectorStore): VectorStore {
    const file_counts = this.repos.storeFiles.counts(store.id);
    const expired = store.expires_at !== null && store.expires_at <= this.clock();
    return {
      ...store,
      file_counts,
      usage_bytes: this.repos.storeFiles.usageBytes(store.id),
      status: expired ? "expired" : file_counts.in_progress > 0 ? "in_progress" : "completed",
    };
  }

  find(id: string): VectorStore {
    const store = this.repos.stores.get(id);
    if (!store) throw notFound("vector store", id);
    return this.present(store);
  }

  update(id: string, p: { name?: string | null | undefined; expires_after?: VectorStore["expires_after"] | null; metadata?: Record<string, string> | null }): VectorStore {
    const store = this.find(id);
    const next: VectorStore = { ...store };
    if (p.name !== undefined) next.name = p.name ?? "";
    if (p.metadata !== undefined) next.metadata = p.metadata ?? {};
    if (p.expires_after === null) {
      delete next.expires_after;
      next.expires_at = null;
    } else if (p.expires_after !== undefined) {
      next.expires_after = p.expires_after;
      next.expires_at = (store.last_active_at ?? this.clock()) + p.expires_after.days * DAY;
    }
    return this.present(this.repos.stores.update(next));
  }

  /** Marks a store used (search, file_search): it moves an `expires_after` deadline forward. */
  touch(id: string): void {
    const store = this.repos.stores.get(id);
    if (!store) return;
    const now = this.clock();
    // Seconds are its resolution: searches within the same second change nothing, so they write nothing.
    if (store.last_active_at === now) return;
    const expires_at = store.expires_after ? now + store.expires_after.days * DAY : store.expires_at;
    this.repos.stores.update({ ...store, last_active_at: now, expires_at });
  }

  async delete(id: string): Promise<void> {
    this.find(id);
    atomically(this.repos.db, () => {
      this.repos.stores.delete(id);
      this.repos.storeFiles.deleteWhere({ vector_store_id: id });
      this.repos.batches.deleteWhere({ vector_store_id: id });
      this.repos.indexSettings.delete(id);
    });
    await this.ingestor.removeFromIndex(id);
  }

  /** Makes `fileIds` the store's files: missing ones are added (and indexed), others removed. */
  setFiles(storeId: string, fileIds: string[]): void {
    const wanted = new Set(fileIds);
    const current = this.repos.storeFiles.all({ vector_store_id: storeId });
    for (const member of current) {
      if (!wanted.has(member.id)) void this.removeFile(storeId, member.id).catch((err: unknown) => log.error({ err, vector_store_id: storeId, file_id: member.id }, "removing a file from its store failed"));
    }
    const present = new Set(current.map((m) => m.id));
    for (const fileId of wanted) if (!present.has(fileId)) this.addFile(storeId, { file_id: fileId });
  }

  /** The store's files, oldest first: id and when each joined. */
  members(storeId: string): { id: string; created_at: number }[] {
    return this.repos.storeFiles.all({ vector_store_id: storeId }).map(({ id, created_at }) => ({ id, created_at }));
  }

  addFiles(storeId: string, fileIds: string[]): void {
    for (const file_id of fileIds) this.addFile(storeId, { file_id });
  }

  addFile(storeId: string, p: VectorStoreFileCreateParams, param = "file_id"): VectorStoreFile {
    this.find(storeId);
    this.checkFiles([p.file_id], param);
    const fresh = this.repos.storeFiles.find(storeId, p.file_id) === null;
    const member = this.insertMember(storeId, p.file_id, chunkingOf(p.chunking_strategy, "chunking_strategy"), p.attributes ?? {}, null);
    this.ingestor.enqueue(storeId, p.file_id, fresh);
    return member;
  }

  findFile(storeId: string, fileId: string): VectorStoreFile {
    this.find(storeId);
    const member = this.repos.storeFiles.find(storeId, fileId);
    if (!member) throw notFound("vector store file", fileId);
    return this.presentFile(member);
  }

  /** A vector store file as the API shows it: with its reading progress while it is in progress and being read. */
  presentFile(member: VectorStoreFile): VectorStoreFile {
    if (member.status !== "in_progress") return member;
    const progress = this.ingestor.progressOf(member.vector_store_id, member.id);
    return progress ? { ...member, progress } : member;
  }

  updateFileAttributes(storeId: string, fileId: string, attributes: FileAttributes | null): VectorStoreFile {
    const member = this.findFile(storeId, fileId);
    const row = this.repos.storeFiles.get(`${storeId}/${fileId}`)!;
    this.repos.storeFiles.update({ ...row, attributes: attributes ?? {} });
    return { ...member, attributes: attributes ?? {} };
  }

  /** Takes a file out of a store (the file itself stays); its chunks leave the index. */
  async removeFile(storeId: string, fileId: string): Promise<void> {
    this.findFile(storeId, fileId);
    this.repos.storeFiles.remove(storeId, fileId);
    await this.ingestor.removeFromIndex(storeId, fileId);
  }

  /** A deleted file leaves every store it was in. */
  async forgetFile(fileId: string): Promise<void> {
    const memberships = this.repos.storeFiles.all({ file_id: fileId });
    this.repos.storeFiles.deleteWhere({ file_id: fileId });
    for (const m of memberships) this.ingestor.stop(m.vector_store_id, fileId); // every store's at once, first
    for (const m of memberships) await this.ingestor.removeFromIndex(m.vector_store_id, fileId);
  }

  async fileContent(storeId: string, fileId: string): Promise<{ type: "text"; text: string }[]> {
    this.findFile(storeId, fileId);
    const chunks = await this.index.fileChunks(storeId, fileId).catch((err: unknown) => {
      // A read racing a delete of the store finds its data files gone: answer the 404 a later read gets.
      this.findFile(storeId, fileId);
      throw err;
    });
    return chunks.map((c) => ({ type: "text" as const, text: c.text }));
  }

  createBatch(storeId: string, p: FileBatchCreateParams): VectorStoreFileBatch {
    this.find(storeId);
    const entries = p.files ?? (p.file_ids ?? []).map((file_id) => ({ file_id, chunking_strategy: p.chunking_strategy, attributes: p.attributes }));
    entries.forEach((e, i) => this.checkFiles([e.file_id], p.files ? `files[${i}].file_id` : `file_ids[${i}]`));
    const freshness = entries.map((e) => this.repos.storeFiles.find(storeId, e.file_id) === null);
    const batch: VectorStoreFileBatch = {
      id: newId("vsfb_"),
      object: "vector_store.files_batch",
      created_at: this.clock(),
      vector_store_id: storeId,
      status: "in_progress",
      file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
    };
    atomically(this.repos.db, () => {
      this.repos.batches.insert(batch);
      for (const e of entries) {
        this.insertMember(storeId, e.file_id, chunkingOf(e.chunking_strategy ?? p.chunking_strategy, "chunking_strategy"), e.attributes ?? p.attributes ?? {}, batch.id);
      }
    });
    for (const [e, fresh] of entries.map((e, i) => [e, freshness[i]!] as const)) this.ingestor.enqueue(storeId, e.file_id, fresh);
    return this.presentBatch(batch);
  }

  findBatch(storeId: string, batchId: string): VectorStoreFileBatch {
    this.find(storeId);
    const batch = this.repos.batches.get(batchId);
    if (!batch || batch.vector_store_id !== storeId) throw notFound("vector store file batch", batchId);
    return this.presentBatch(batch);
  }

  /** Files of the batch not yet indexed become `cancelled`; indexed ones stay. */
  cancelBatch(storeId: string, batchId: string): VectorStoreFileBatch {
    const batch = this.findBatch(storeId, batchId);
    atomically(this.repos.db, () => {
      for (const member of this.repos.storeFiles.all({ batch_id: batchId })) {
        if (member.status === "in_progress") this.repos.storeFiles.update({ ...member, status: "cancelled" });
      }
      this.repos.batches.update({ ...this.repos.batches.get(batchId)!, status: "cancelled" });
    });
    for (const member of this.repos.storeFiles.all({ batch_id: batchId })) if (member.status === "cancelled") this.ingestor.stop(storeId, member.id);
    return this.presentBatch({ ...batch, status: "cancelled" });
  }

  presentBatch(batch: VectorStoreFileBatch): VectorStoreFileBatch {
    const file_counts = this.repos.storeFiles.counts(batch.vector_store_id, batch.id);
    const status = batch.status === "cancelled" ? "cancelled" : file_counts.in_progress > 0 ? "in_progress" : "completed";
    return { ...batch, file_counts, status };
  }

  /** Vector store files left in_progress by a previous process are indexed again. */
  resumeIngestion(): void {
    const byStore = new Map<string, string[]>();
    for (const member of this.repos.storeFiles.all({ status: "in_progress" })) {
      byStore.set(member.vector_store_id, [...(byStore.get(member.vector_store_id) ?? []), member.id]);
    }
    for (const [storeId, fileIds] of byStore) this.ingestor.resume(storeId, fileIds);
  }

  private insertMember(storeId: string, fileId: string, chunking: ChunkingStrategy, attributes: FileAttributes, batchId: string | null): VectorStoreFile {
    const existing = this.repos.storeFiles.find(storeId, fileId);
    if (existing) this.repos.storeFiles.remove(storeId, fileId); // re-adding a file re-indexes it
    const member: VectorStoreFile = {
      id: fileId,
      object: "vector_store.file",
      usage_bytes: 0,
      created_at: this.clock(),
      vector_store_id: storeId,
      status: "in_progress",
      last_error: null,
      chunking_strategy: chunking,
      attributes,
    };
    this.repos.storeFiles.insert({ ...member, batch_id: batchId });
    return member;
  }

  private checkFiles(fileIds: string[], param: string): void {
    fileIds.forEach((id, i) => {
      if (!this.repos.files.get(id)) throw badRequest(`No file found with id '${id}'.`, fileIds.length > 1 || param.endsWith("ids") ? `${param}[${i}]` : param, "invalid_file_id");
    });
  }
}

/** `auto` (or nothing) means the default static strategy; overlap may be at most half the chunk size. */
function chunkingOf(input: ChunkingInput, param: string): ChunkingStrategy {
  if (!input || input.type === "auto") return DEFAULT_CHUNKING;
  const { max_chunk_size_tokens, chunk_overlap_tokens } = input.static;
  if (chunk_overlap_tokens > max_chunk_size_tokens / 2) {
    throw badRequest("chunk_overlap_tokens must not exceed half of max_chunk_size_tokens.", `${param}.static.chunk_overlap_tokens`);
  }
  return { type: "static", static: { max_chunk_size_tokens, chunk_overlap_tokens } };
}
