import type { VectorStoreFile } from "../api/wire.js";
import { ExtractionError, extractPages, type ExtractedPage } from "../files/extract-text.js";
import type { FileService } from "../files/file-service.js";
import type { PdfReader } from "../files/pdf-reader.js";
import { ModelError, type Embedder } from "../llm/chat-model.js";
import type { VectorStoreFilesRepo, VectorStoreIndexRepo } from "../store/vector-stores-repo.js";
import { embedTexts, ingestPages, type IngestResult } from "./ingest.js";
import type { ChunkRow, VectorIndex } from "./vector-index.js";

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
  /** Longest a file's last chunks wait for later files of its store (default GROUP_MAX_MS; tests hold longer). */
  groupMaxMs?: number;
}

/** `fresh`: the file was never in this store's index (skips the delete-before-index, a table scan). */
type Job = { storeId: string; fileId: string; fresh: boolean };

/** The job being indexed, with the means to stop it (its file was cancelled or removed meanwhile). */
type Running = Job & { abort: AbortController };

/** The next job's pages, extracted while the job before it finishes its index writes. */
type Prefetch = { job: Job; abort: AbortController; pages: AsyncIterable<ExtractedPage> };

type Outcome = Pick<VectorStoreFile, "status" | "last_error" | "usage_bytes">;

/** A file whose chunks are all written but its last batch, which waits to be written with the group's. */
interface HeldFile {
  member: VectorStoreFile;
  abort: AbortController;
  rows: ChunkRow[];
  vectors: number[][] | null;
  usageBytes: number;
}

/** Consecutive files of one store whose last batches are written in one index write. */
interface Group {
  storeId: string;
  files: HeldFile[];
  /** Writes the group GROUP_MAX_MS after its first file, whatever is being indexed then. */
  timer: NodeJS.Timeout;
}

// Each index write costs a LanceDB commit (~4–8 ms, growing with the versions kept), and a store is optimized
// every 32 writes (~50–90 ms): one write per small file made index writes ~80 % of ingesting 1,400 one-page
// PDFs (bench/retrieval-quality.ts). The consecutive files of one store share their last write, within limits
// that keep a file from waiting long for the files after it (a long PDF next does not hold it back: the
// group is written GROUP_MAX_MS after its first file at the latest, while that PDF parses).
const GROUP_MAX_FILES = 32;
const GROUP_MAX_ROWS = 512;
const GROUP_MAX_MS = 200;

/**
 * Turns attached files into index chunks, one file at a time (LanceDB wants one writer per table, and the
 * PDF worker parses one document at a time). A failure fails that file only, with a reason a person
 * can act on; the queue goes on. Two overlaps: once a file's last page is extracted, the next queued file's
 * extraction starts; and the last chunks of consecutive files of one store are written together (Group),
 * each file completed once that write is done.
 */
export class Ingestor {
  private readonly queue: Job[] = [];
  private active: Promise<void> | null = null;
  private running: Running | null = null;
  private prefetch: Prefetch | null = null;
  private group: Group | null = null;
  /** Groups taken for writing and not yet settled: stop() and enqueue() must still see their files. */
  private readonly writing = new Set<Group>();
  /** Group writes, one after another. */
  private groupWrites: Promise<void> = Promise.resolve();
  /** The job the drain loop holds back until the group writes are done. */
  private waiting: Job | null = null;
  private closed = false;

  constructor(private readonly deps: IngestorDeps) {}

  enqueue(storeId: string, fileId: string, fresh = false): void {
    if (this.closed) return;
    // A job for the same file still queued, running or held may yet write chunks: then this one is not fresh.
    const same = (j: Job) => j.storeId === storeId && j.fileId === fileId;
    const busy = (this.running !== null && same(this.running)) || this.heldFile(storeId, fileId) !== undefined;
    const queued = this.queue.some(same);
    this.queue.push({ storeId, fileId, fresh: fresh && !busy && !queued });
    if (!this.active) this.active = this.drain().finally(() => (this.active = null));
  }

  /**
   * Stops indexing `fileId` of `storeId` (every file of the store when `fileId` is omitted): a file being
   * indexed stops (its PDF at the next page) and what it wrote is removed; a file whose extraction started
   * ahead of its turn stops extracting; a file whose last chunks wait for its group's write is left out of
   * it. Queued jobs need no stopping: a job whose file is no longer in_progress is skipped.
   */
  stop(storeId: string, fileId?: string): void {
    const matches = (store: string, file: string) => store === storeId && (fileId === undefined || file === fileId);
    const reason = new Error("indexing stopped");
    if (this.running && matches(this.running.storeId, this.running.fileId)) this.running.abort.abort(reason);
    // A queued job whose extraction already started: stop it too (when its turn comes it is skipped, or, if
    // its file was added again meanwhile, fails as stopped and leaves the file to the re-add's own job).
    if (this.prefetch && matches(this.prefetch.job.storeId, this.prefetch.job.fileId)) this.prefetch.abort.abort(reason);
    // A held file (in a group being written too): its last batch is not written, or not completed.
    for (const group of this.groups()) {
      for (const held of group.files) if (matches(group.storeId, held.member.id)) held.abort.abort(reason);
    }
  }

  /** Resolves when nothing is queued, running or held (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    while (this.active) await this.active;
  }

  /**
   * Stops the file being indexed too. It and files whose last chunks wait for their group's write stay
   * in_progress, and are indexed again at the next start (their chunks written so far deleted first); a
   * group write already running is finished.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.running?.abort.abort(new Error("the server is shutting down"));
    this.prefetch?.abort.abort(new Error("the server is shutting down"));
    if (this.group) clearTimeout(this.group.timer);
    this.group = null;
    await this.active;
    await this.groupWrites;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const job = this.queue.shift();
      if (!job) {
        // Nothing left to join the group: write it, and wait for one its timer is writing. (Files enqueued
        // meanwhile are picked up by this loop.)
        await this.writeGroup();
        if (this.queue.length === 0 && !this.group) return;
        continue;
      }
      // A job for a file whose last chunks wait (re-added meanwhile) runs after they are written and the file
      // settled: its own job then replaces them (or is skipped, the file being completed already).
      const again = this.heldFile(job.storeId, job.fileId) !== undefined;
      if (again || (this.group && !this.mayJoin(this.group, job))) {
        this.waiting = job;
        await this.writeGroup();
        this.waiting = null;
        if (this.closed) return;
      }
      const prefetched = this.prefetch;
      this.prefetch = null;
      // A prefetch is always for the queue's head; should that change, a stale one must not parse on.
      if (prefetched && prefetched.job !== job) prefetched.abort.abort(new Error("not the next file after all"));
      const mine = prefetched?.job === job ? prefetched : null;
      const running = (this.running = { ...job, abort: mine?.abort ?? new AbortController() });
      await this.ingest(running, mine?.pages).catch((err: unknown) => console.error(`ingestion of ${job.fileId} crashed:`, err));
      this.running = null;
    }
  }

  /** Whether `job`'s file may be indexed before the group is written (and then join it). */
  private mayJoin(group: Group, job: Job): boolean {
    const rows = group.files.reduce((n, f) => n + f.rows.length, 0);
    return job.storeId === group.storeId && group.files.length < GROUP_MAX_FILES && rows < GROUP_MAX_ROWS;
  }

  /** The group being filled and those being written. */
  private groups(): Group[] {
    return this.group ? [this.group, ...this.writing] : [...this.writing];
  }

  /** `fileId`'s held last batch, in the group being filled or one being written. */
  private heldFile(storeId: string, fileId: string): HeldFile | undefined {
    for (const group of this.groups()) {
      const held = group.storeId === storeId ? group.files.find((f) => f.member.id === fileId) : undefined;
      if (held) return held;
    }
    return undefined;
  }

  private async ingest({ storeId, fileId, fresh, abort }: Running, prefetched?: AsyncIterable<ExtractedPage>): Promise<void> {
    const member = this.deps.storeFiles.get(`${storeId}/${fileId}`);
    if (!member || member.status !== "in_progress") {
      abort.abort(new Error("indexing skipped")); // cancelled or removed while queued: stop its prefetch, if any
      return;
    }
    try {
      const pages = prefetched ?? this.pagesOf(member, abort.signal);
      const { usageBytes, held } = await this.indexOne(member, fresh, abort.signal, pages);
      this.hold({ member, abort, usageBytes, rows: held?.rows ?? [], vectors: held?.vectors ?? null });
    } catch (err) {
      // Stopped (removed or cancelled meanwhile): the outcome is discarded in settle().
      await this.deps.index.deleteFile(storeId, fileId).catch(() => undefined);
      await this.settleAll(storeId, [{ member, abort, outcome: failed(err, abort) }]);
      // A failure other than a stop leaves a read-ahead extraction running: it would hold the PDF reader.
      abort.abort(new Error("indexing failed"));
    }
  }

  /** Adds a file's last batch to the group (starting one, with its timer, if none is being filled). */
  private hold(file: HeldFile): void {
    if (!this.group) {
      const timer = setTimeout(() => void this.writeGroup(), this.deps.groupMaxMs ?? GROUP_MAX_MS);
      timer.unref();
      this.group = { storeId: file.member.vector_store_id, files: [], timer };
    }
    this.group.files.push(file);
  }

  /** Takes the group (if any) and writes it after any group write still running; resolves when all are written. */
  private writeGroup(): Promise<void> {
    const group = this.group;
    if (group && !this.closed) {
      this.group = null;
      clearTimeout(group.timer);
      this.writing.add(group);
      this.groupWrites = this.groupWrites
        .then(() => this.write(group).finally(() => this.writing.delete(group)))
        .catch((err: unknown) => console.error(`writing the chunks of ${group.files.length} files to ${group.storeId} crashed:`, err));
    }
    return this.groupWrites;
  }

  /** Writes the group's held batches in one index write, then settles its files. */
  private async write(group: Group): Promise<void> {
    const { storeId } = group;
    // Files stopped, removed or cancelled while held: their last batch is not written (settle() cleans up).
    const live = group.files.filter((f) => !f.abort.signal.aborted && this.deps.storeFiles.get(`${storeId}/${f.member.id}`)?.status === "in_progress");
    let error: unknown = null;
    try {
      // Even with no row left to write: the write completes the indexing of rows written partially before.
      if (live.length > 0) await this.deps.index.add(storeId, live.flatMap((f) => f.rows), joinVectors(live), { partial: false });
    } catch (err) {
      error = err;
      for (const f of live) await this.deps.index.deleteFile(storeId, f.member.id).catch(() => undefined);
    }
    const outcome = (f: HeldFile): Outcome =>
      error === null ? { status: "completed", last_error: null, usage_bytes: f.usageBytes } : failed(error, f.abort);
    await this.settleAll(storeId, group.files.map((f) => ({ member: f.member, abort: f.abort, outcome: outcome(f) })));
  }

  private async settleAll(storeId: string, files: Array<{ member: VectorStoreFile; abort: AbortController; outcome: Outcome }>): Promise<void> {
    // The store's last files: finish the index's deferred work before reporting them, so that a store whose
    // files all completed ranks its new chunks like its old ones. (Another file of the store still to come
    // will do it: queued, held, or being indexed while a group's timer wrote this.)
    const settling = new Set(files.map((f) => f.member.id));
    const running = this.running !== null && this.running.storeId === storeId && !settling.has(this.running.fileId);
    const more = running || this.waiting?.storeId === storeId || this.queue.some((j) => j.storeId === storeId) || this.group?.storeId === storeId;
    if (!more) await this.deps.index.flush(storeId).catch(() => undefined);
    for (const f of files) {
      // One file's bookkeeping failing must not leave the others of its group in progress.
      await this.settle(f.member, f.abort, f.outcome).catch((err: unknown) => console.error(`recording the outcome of ${f.member.id} failed:`, err));
    }
  }

  /** Records a file's outcome, unless it was removed, cancelled or re-added meanwhile. */
  private async settle(member: VectorStoreFile, abort: AbortController, outcome: Outcome): Promise<void> {
    const { storeFiles } = this.deps;
    const storeId = member.vector_store_id;
    const current = storeFiles.get(`${storeId}/${member.id}`);
    if (!current || current.status === "cancelled") {
      await this.discard(storeId, member.id);
      return;
    }
    if (current.status !== "in_progress") return; // settled meanwhile by a later job for the same file
    // Stopped, then re-added; or re-added with another chunking strategy while indexing: the job the re-add
    // queued indexes it again.
    if (abort.signal.aborted || JSON.stringify(current.chunking_strategy) !== JSON.stringify(member.chunking_strategy)) return;
    storeFiles.update({ ...current, ...outcome });
  }

  /**
   * Removed or cancelled while indexing: its chunks must not stay searchable. If its whole store was deleted
   * meanwhile, our write may have re-created the store's table after the drop: drop it again.
   */
  private async discard(storeId: string, fileId: string): Promise<void> {
    const cleanup = this.deps.storeExists(storeId) ? this.deps.index.deleteFile(storeId, fileId) : this.deps.index.drop(storeId);
    await cleanup.catch(() => undefined);
  }

  /** The file's extracted pages, as they come. */
  private async *pagesOf(member: VectorStoreFile, signal: AbortSignal): AsyncGenerator<ExtractedPage> {
    const bytes = await this.deps.files.content(member.id);
    const name = this.deps.files.get(member.id)?.filename ?? member.id;
    yield* extractPages(bytes, name, { pdf: this.deps.pdf, signal });
  }

  /**
   * Starts extracting the next queued file now (the PDF reader is free once the running file's last page is
   * out), keeping its pages until its turn: its parse then overlaps the running file's last index writes.
   */
  private prefetchNext(): void {
    const job = this.queue[0];
    if (!job || this.closed || this.prefetch) return;
    const member = this.deps.storeFiles.get(`${job.storeId}/${job.fileId}`);
    if (!member || member.status !== "in_progress") return;
    const abort = new AbortController();
    this.prefetch = { job, abort, pages: readAhead(this.pagesOf(member, abort.signal)) };
  }

  /**
   * Chunks, embeds and indexes one file's pages but its last batch, which it returns (written with its
   * group's); and the bytes of text stored.
   */
  private async indexOne(
    member: VectorStoreFile,
    fresh: boolean,
    signal: AbortSignal,
    extracted: AsyncIterable<ExtractedPage>,
  ): Promise<{ usageBytes: number; held: IngestResult["held"] }> {
    const storeId = member.vector_store_id;
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
    // Pages are chunked, embedded and written while the PDF worker parses the next ones; after the last, the
    // next file's extraction starts.
    const pages = thenRun(extracted, () => this.prefetchNext());
    const result = await ingestPages(pages, { index: this.deps.index, storeId, fileId: member.id, embed }, { ...options, holdLast: true });
    return { usageBytes: result.textBytes, held: result.held };
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

/** `items`, then `after()` once they all went through (not when the iteration failed or stopped early). */
async function* thenRun<T>(items: AsyncIterable<T>, after: () => void): AsyncGenerator<T> {
  yield* items;
  after();
}

/**
 * Starts reading `items` now, keeping what arrives until asked for; a failure is thrown where it happened,
 * after the items before it. The reading goes on until `items` ends: stop it through its own signal.
 */
function readAhead<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  const kept: T[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  // (Assigned in callbacks: declared wider than its initial value for TypeScript's flow analysis.)
  let wake = null as (() => void) | null;
  void (async () => {
    try {
      for await (const item of items) {
        kept.push(item);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake?.();
    }
  })();
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (kept.length > 0) yield kept.shift()!;
        else if (ended) {
          if (failure) throw failure.error;
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      }
    },
  };
}

/** The failed outcome of a file; a stopped file's is discarded anyway (see settle). */
function failed(err: unknown, abort: AbortController): Outcome {
  return { status: "failed", last_error: abort.signal.aborted ? null : describeFailure(err), usage_bytes: 0 };
}

/** The group's vectors in row order: all files of a store have vectors, or none has (rowless files aside). */
function joinVectors(files: HeldFile[]): number[][] | null {
  const withRows = files.filter((f) => f.rows.length > 0);
  if (withRows.every((f) => f.vectors === null)) return null;
  if (withRows.some((f) => f.vectors === null)) throw new Error("files of one vector store were embedded differently");
  return withRows.flatMap((f) => f.vectors!);
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
