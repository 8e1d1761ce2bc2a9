import type { VectorStoreFile } from "../api/wire.js";
import { ExtractionError, extractPages } from "../files/extract-text.js";
import type { FileService } from "../files/file-service.js";
import type { PdfReader } from "../files/pdf-reader.js";
import { ModelError, type Embedder } from "../llm/chat-model.js";
import type { VectorStoreFilesRepo, VectorStoreIndexRepo } from "../store/vector-stores-repo.js";
import { embedTexts, ingestPages } from "./ingest.js";
import type { VectorIndex } from "./vector-index.js";

export interface IngestorDeps {
  files: FileService;
  storeFiles: VectorStoreFilesRepo;
  indexSettings: VectorStoreIndexRepo;
  index: VectorIndex;
  /** Where PDFs are parsed (a worker thread in the server). */
  pdf: PdfReader;
  /** The configured embedding model, or null to build BM25-only stores. */
  embedder: Embedder | null;
  /** Embedder for a store recorded with another model (the configuration changed since it was built). */
  embedderFor(model: string): Embedder;
  /** Whether the vector store still exists (it may be deleted while one of its files is indexed). */
  storeExists(storeId: string): boolean;
  /** Called after a file's status changed, so batches and stores can refresh. */
  onSettled?(file: VectorStoreFile): void;
}

/** `fresh`: the file was never in this store's index (skips the delete-before-index, a table scan). */
type Job = { storeId: string; fileId: string; fresh: boolean };

/** The job being indexed, with the means to stop it (its file was cancelled or removed meanwhile). */
type Running = Job & { abort: AbortController };

/**
 * Turns attached files into index chunks, one file at a time (LanceDB wants one writer per table, and the
 * PDF worker parses one document at a time). A failure fails that file only, with a reason a person
 * can act on; the queue goes on.
 */
export class Ingestor {
  private readonly queue: Job[] = [];
  private active: Promise<void> | null = null;
  private running: Running | null = null;
  private closed = false;

  constructor(private readonly deps: IngestorDeps) {}

  enqueue(storeId: string, fileId: string, fresh = false): void {
    if (this.closed) return;
    // A job for the same file still queued or running may yet write chunks: then this one is not fresh.
    const busy = this.running?.storeId === storeId && this.running.fileId === fileId;
    const queued = this.queue.some((j) => j.storeId === storeId && j.fileId === fileId);
    this.queue.push({ storeId, fileId, fresh: fresh && !busy && !queued });
    if (!this.active) this.active = this.drain().finally(() => (this.active = null));
  }

  /**
   * Stops indexing `fileId` of `storeId` (every file of the store when `fileId` is omitted) if it is being
   * indexed now: its PDF stops parsing at the next page, and what it wrote is removed. Queued jobs need no
   * stopping: a job whose file is no longer in_progress is skipped.
   */
  stop(storeId: string, fileId?: string): void {
    const job = this.running;
    if (job && job.storeId === storeId && (fileId === undefined || job.fileId === fileId)) job.abort.abort(new Error("indexing stopped"));
  }

  /** Resolves when nothing is queued or running (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    while (this.active) await this.active;
  }

  /** Stops the file being indexed too: it stays in_progress, and is indexed again at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.running?.abort.abort(new Error("the server is shutting down"));
    await this.active;
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      if (this.closed) return;
      const running = (this.running = { ...job, abort: new AbortController() });
      await this.ingest(running).catch((err: unknown) => console.error(`ingestion of ${job?.fileId} crashed:`, err));
      this.running = null;
    }
  }

  private async ingest({ storeId, fileId, fresh, abort }: Running): Promise<void> {
    const { storeFiles } = this.deps;
    const member = storeFiles.get(`${storeId}/${fileId}`);
    if (!member || member.status !== "in_progress") return; // cancelled or removed while queued
    let outcome: Pick<VectorStoreFile, "status" | "last_error" | "usage_bytes">;
    try {
      outcome = { status: "completed", last_error: null, usage_bytes: await this.indexOne(member, fresh, abort.signal) };
    } catch (err) {
      // Stopped (removed or cancelled meanwhile): the outcome is discarded below.
      outcome = { status: "failed", last_error: abort.signal.aborted ? null : describeFailure(err), usage_bytes: 0 };
      await this.deps.index.deleteFile(storeId, fileId).catch(() => undefined);
    }
    // The store's last queued file: finish the index's deferred work before reporting it, so that a store
    // whose files all completed ranks its new chunks like its old ones.
    if (!this.queue.some((j) => j.storeId === storeId)) await this.deps.index.flush(storeId).catch(() => undefined);
    const current = storeFiles.get(`${storeId}/${fileId}`);
    if (!current || current.status !== "in_progress") {
      await this.discard(storeId, fileId);
      return;
    }
    // Stopped, then re-added; or re-added with another chunking strategy while indexing: the job the re-add
    // queued indexes it again.
    if (abort.signal.aborted || JSON.stringify(current.chunking_strategy) !== JSON.stringify(member.chunking_strategy)) return;
    const settled = storeFiles.update({ ...current, ...outcome });
    this.deps.onSettled?.(settled);
  }

  /**
   * Removed or cancelled while indexing: its chunks must not stay searchable. If its whole store was deleted
   * meanwhile, our write may have re-created the store's table after the drop: drop it again.
   */
  private async discard(storeId: string, fileId: string): Promise<void> {
    const cleanup = this.deps.storeExists(storeId) ? this.deps.index.deleteFile(storeId, fileId) : this.deps.index.drop(storeId);
    await cleanup.catch(() => undefined);
  }

  /** Extracts, chunks, embeds and indexes one file; returns the bytes of text stored. */
  private async indexOne(member: VectorStoreFile, fresh: boolean, signal: AbortSignal): Promise<number> {
    const storeId = member.vector_store_id;
    const bytes = await this.deps.files.content(member.id);
    const name = this.deps.files.get(member.id)?.filename ?? member.id;
    const strategy = member.chunking_strategy.type === "static" ? member.chunking_strategy.static : null;
    const options = { maxTokens: strategy?.max_chunk_size_tokens ?? 800, overlapTokens: strategy?.chunk_overlap_tokens ?? 400 };
    // A re-add, or a crash after the index write but before the status update, would otherwise leave duplicates.
    if (!fresh) await this.deps.index.deleteFile(storeId, member.id);
    let embedder = this.embedderFor(storeId);
    // Called before each write of a batch. The store's first write creates its table, with or without
    // vectors: the choice is recorded right then, so a file failing later cannot leave a table that
    // disagrees with the store's recorded settings.
    const embed = async (texts: string[]): Promise<number[][] | null> => {
      signal.throwIfAborted();
      let vectors: number[][] | null = null;
      if (embedder) {
        try {
          vectors = await embedTexts(embedder, texts, { signal });
        } catch (err) {
          if (!this.decidingNow(storeId) || !isModelUnavailable(err)) throw err;
          // First write of a store and no embedding model reachable: build the store for BM25 alone.
          embedder = null;
        }
      }
      if (this.decidingNow(storeId)) {
        this.deps.indexSettings.set(storeId, { embedding_model: embedder?.model ?? null, dims: vectors?.[0]?.length ?? null });
      }
      return vectors;
    };
    // Pages are chunked, embedded and written while the PDF worker parses the next ones.
    const pages = extractPages(bytes, name, { pdf: this.deps.pdf, signal });
    const result = await ingestPages(pages, { index: this.deps.index, storeId, fileId: member.id, embed }, options);
    return result.textBytes;
  }

  private decidingNow(storeId: string): boolean {
    return this.deps.indexSettings.get(storeId) === null;
  }

  private embedderFor(storeId: string): Embedder | null {
    const settings = this.deps.indexSettings.get(storeId);
    if (settings === null) return this.deps.embedder;
    if (settings.embedding_model === null) return null;
    return settings.embedding_model === this.deps.embedder?.model ? this.deps.embedder : this.deps.embedderFor(settings.embedding_model);
  }

}

function isModelUnavailable(err: unknown): boolean {
  return err instanceof ModelError && (err.kind === "unreachable" || err.kind === "model_not_found");
}

function describeFailure(err: unknown): NonNullable<VectorStoreFile["last_error"]> {
  if (err instanceof ExtractionError) return { code: err.code, message: err.message };
  if (err instanceof ModelError) return { code: "server_error", message: `Could not embed the file: ${err.message}` };
  console.error("ingestion failed:", err);
  return { code: "server_error", message: `Indexing failed: ${err instanceof Error ? err.message : String(err)}` };
}
