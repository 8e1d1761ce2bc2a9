/**
 * Turns attached files into index chunks. A failure fails that file only, with a reason a person can act on;
 * the queue goes on. The Ingestor serves stores on `concurrency` lanes (default 2): a store's files go to one
 * lane while that lane has work of the store, a store with none to the least busy lane, so one slow file (a
 * hostile PDF, a slow embedding) holds back its own lane's stores only, and never two writers share a store's
 * table. Each lane indexes one file at a time (job-queue.ts), with two overlaps: once a file's last page is
 * extracted, the next queued file's extraction starts (read-ahead.ts); and the last chunks of consecutive files
 * of one store are written together (groups.ts), each file settled once that write is done (settling.ts).
 * A lane is the drain loop that runs them; the Ingestor is the API the vector store service calls.
 * PDFs of all lanes share the one PdfReader, which parses one document at a time (its caps and time limit
 * bound how long one document can take).
 */
import type { FileProgress, VectorStoreFile } from "../../api/wire.js";
import { extractPages, type ExtractedPage } from "../../files/extract-text.js";
import type { FileService } from "../../files/file-service.js";
import type { PdfReader } from "../../files/pdf-reader.js";
import type { OcrReader } from "../../files/ocr/ocr-reader.js";
import { allProjects, inProject } from "../../store/project-scope.js";
import type { VectorStoreFilesRepo } from "../../store/vector-stores-repo.js";
import { GROUP_MAX_MS, GroupWriter } from "./groups.js";
import { indexOne, type IndexOneDeps } from "./index-one.js";
import { JobQueue, type Job, type JobMatch, type Running } from "./job-queue.js";
import { IngestionProgress } from "./progress.js";
import { ReadAhead, thenRun } from "./read-ahead.js";
import { failed, Settler } from "./settling.js";
import { log } from "../../log.js";
import type { MetricsSink } from "../../metrics.js";

export interface IngestorDeps extends IndexOneDeps {
  files: FileService;
  storeFiles: VectorStoreFilesRepo;
  /** Where PDFs are parsed (a worker thread in the server). */
  pdf: PdfReader;
  /** Reads scanned PDF pages and images (worker threads); null or absent: no OCR. */
  ocr?: OcrReader | null;
  /** Whether the vector store still exists (it may be deleted while one of its files is indexed). */
  storeExists(storeId: string): boolean;
  /** Longest a file's last chunks wait for later files of its store (default GROUP_MAX_MS; tests hold longer). */
  groupMaxMs?: number;
  /**
   * Told when files of a store are no longer in progress: settled here (completed or failed), or taken out of
   * indexing by `stop` (removed, cancelled, store deleted). A run's file_search waits on it.
   */
  onSettled?(storeId: string): void;
  /** Lanes indexing files of different stores side by side (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /**
   * Several server processes on one store: which node indexes a store's files, so that one node at a time
   * writes a store's index. Absent: this process is the only one.
   */
  placement?: IngestPlacement;
  /** Counts files settled and pages read. */
  metrics?: Pick<MetricsSink, "ingestedFiles" | "ingestedPages">;
}

/** One writer per vector store index across nodes (filled by the composition root from cluster/). */
export interface IngestPlacement {
  /** Takes the store for this node unless another holds it; true: index its files here. */
  claim(storeId: string): boolean;
  /** Hands a file to the node that holds its store. */
  forward(storeId: string, fileId: string, fresh: boolean): void;
  /** This node has nothing of the store left queued or running: another node may take it. */
  release(storeId: string): void;
  /** Takes the store to write its index once (a removal), whatever this node's ROLE; true: write it here. */
  claimWrite(storeId: string): boolean;
  /** Hands a removal from the store's index (the whole store with `fileId` null) to the node that holds it. */
  forwardRemoval(storeId: string, fileId: string | null): void;
}

/** Two lanes: one store's slow file leaves a lane for the others, without more than two index writers at once. */
export const DEFAULT_CONCURRENCY = 2;

export class Ingestor {
  private readonly lanes: IngestLane[];
  private readonly progress = new IngestionProgress();
  /** Removals from a store's index writing now (per store): its lease is kept until they are done. */
  private readonly removing = new Map<string, number>();

  constructor(private readonly deps: IngestorDeps) {
    const n = Math.max(1, Math.floor(deps.concurrency ?? DEFAULT_CONCURRENCY));
    // A lane that runs dry gives its stores back, but not one a removal is still writing.
    const placement = deps.placement && { ...deps.placement, release: (storeId: string) => void (this.removing.has(storeId) || deps.placement!.release(storeId)) };
    // A lane tells waiters on stores it stops; the Ingestor's stop tells them once itself.
    this.lanes = Array.from({ length: n }, () => new IngestLane({ ...deps, ...(placement ? { placement } : {}) }, this.progress));
  }

  /** How far reading the file has got, while it is being read or its last chunks wait; null otherwise. */
  progressOf(storeId: string, fileId: string): FileProgress | null {
    return this.progress.of(storeId, fileId);
  }

  /** Queues indexing `fileId` of `storeId` on the lane that has the store's work, else the least busy one. */
  enqueue(storeId: string, fileId: string, fresh = false): void {
    const serving = this.lanes.find((l) => l.serves(storeId));
    const { placement } = this.deps;
    if (!serving && placement && !placement.claim(storeId)) {
      placement.forward(storeId, fileId, fresh);
      return;
    }
    (serving ?? leastBusy(this.lanes)).enqueue(storeId, fileId, fresh);
  }

  /**
   * Indexes files left in progress (at boot; on a shared store also files whose node died): those of a store
   * this process is not indexing already, and no other node holds. Their chunks written so far are replaced.
   */
  resume(storeId: string, fileIds: string[]): void {
    if (this.serves(storeId) || (this.deps.placement && !this.deps.placement.claim(storeId))) return;
    for (const fileId of fileIds) this.enqueue(storeId, fileId);
  }

  /** Whether files of the store are queued, running or held here. */
  serves(storeId: string): boolean {
    return this.lanes.some((l) => l.serves(storeId));
  }

  /** See IngestLane.stop; waiters on the store are told once. */
  stop(storeId: string, fileId?: string): void {
    for (const lane of this.lanes) lane.stop(storeId, fileId);
    this.progress.forget(storeId, fileId);
    this.deps.onSettled?.(storeId);
  }

  /**
   * Stops indexing a file (every file of the store without `fileId`) and takes its chunks out of the index (the
   * store's table). Several nodes: written by the node that holds the store, one writer per index; a node that
   * cannot take the store hands the removal to the holder by signal. Should that node die first, the chunks
   * stay unseen: search describes hits from the store's files, and a file no longer there has none.
   */
  async removeFromIndex(storeId: string, fileId?: string): Promise<void> {
    this.stop(storeId, fileId);
    const { placement, index } = this.deps;
    if (placement && !this.serves(storeId) && !placement.claimWrite(storeId)) {
      placement.forwardRemoval(storeId, fileId ?? null);
      return;
    }
    this.removing.set(storeId, (this.removing.get(storeId) ?? 0) + 1);
    try {
      if (fileId === undefined) await index.drop(storeId);
      else await index.deleteFile(storeId, fileId);
    } finally {
      const left = this.removing.get(storeId)! - 1;
      if (left > 0) this.removing.set(storeId, left);
      else this.removing.delete(storeId);
      // Taken for this write alone: free again unless the store's files are indexing here.
      if (placement && left === 0 && !this.serves(storeId)) placement.release(storeId);
    }
  }

  /** Resolves when nothing is queued, running or held on any lane (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    while (this.lanes.some((l) => l.busy)) await Promise.all(this.lanes.map((l) => l.idle()));
  }

  /** See IngestLane.close. */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
  }
}

function leastBusy(lanes: IngestLane[]): IngestLane {
  let best = lanes[0]!;
  for (const lane of lanes) if (lane.load < best.load) best = lane;
  return best;
}

/** One drain loop: the files of the stores it serves, one at a time. */
class IngestLane {
  private readonly queue = new JobQueue();
  private readonly readAhead = new ReadAhead();
  private readonly settler: Settler;
  private readonly groups: GroupWriter;
  private active: Promise<void> | null = null;
  private closed = false;
  /** Stores enqueued here since this lane's drain loop started: theirs until it ends (nothing left in flight). */
  private readonly stores = new Set<string>();

  constructor(
    private readonly deps: IngestorDeps,
    private readonly progress: IngestionProgress,
  ) {
    this.settler = new Settler({
      ...deps,
      onFileSettled: (storeId, fileId) => progress.forget(storeId, fileId),
      hasMoreFor: (storeId, settling) => this.queue.hasMoreFor(storeId, settling) || this.groups.fillingFor(storeId),
    });
    this.groups = new GroupWriter({ ...deps, settler: this.settler, maxMs: deps.groupMaxMs ?? GROUP_MAX_MS });
  }

  /** Whether this lane has work of `storeId` queued, running, held or settling: the store's next file joins it. */
  serves(storeId: string): boolean {
    return this.active !== null && this.stores.has(storeId);
  }

  get busy(): boolean {
    return this.active !== null;
  }

  /** Jobs queued or running here. */
  get load(): number {
    return this.queue.length + (this.active !== null ? 1 : 0);
  }

  /**
   * Queues indexing `fileId` of `storeId`. The drain loop serves every project's jobs, so it runs outside any
   * (it would otherwise keep the scope of the request that started it); each job's own work runs in its
   * store's project, read from the row here.
   */
  enqueue(storeId: string, fileId: string, fresh = false): void {
    if (this.closed) return;
    const project = this.deps.storeFiles.projectOf(`${storeId}/${fileId}`);
    this.queue.add(storeId, fileId, fresh, this.groups.held(storeId, fileId) !== undefined, project);
    this.stores.add(storeId);
    if (!this.active) {
      this.active = allProjects(() => this.drain()).finally(() => {
        this.active = null;
        for (const store of this.stores) this.deps.placement?.release(store);
        this.stores.clear();
      });
    }
  }

  /**
   * Stops indexing `fileId` of `storeId` (every file of the store when `fileId` is omitted): a file being
   * indexed stops (its PDF at the next page) and what it wrote is removed; a file whose extraction started
   * ahead of its turn stops extracting; a file whose last chunks wait for its group's write is left out of
   * it. Queued jobs need no stopping: a job whose file is no longer in_progress is skipped.
   *
   * Called once the file is no longer in_progress (the service removed or cancelled it, or deleted its store);
   * the Ingestor then tells waiters on the store: a queued file's job may not come up for a long while.
   */
  stop(storeId: string, fileId?: string): void {
    const matches: JobMatch = (store, file) => store === storeId && (fileId === undefined || file === fileId);
    const reason = new Error("indexing stopped");
    this.queue.stopRunning(matches, reason);
    this.readAhead.stop(matches, reason);
    this.groups.stop(matches, reason);
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
    this.queue.clear();
    const reason = new Error("the server is shutting down");
    this.queue.running?.abort.abort(reason);
    this.readAhead.close(reason);
    this.groups.close();
    await this.active;
    await this.groups.written();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const job = this.queue.shift();
      if (!job) {
        // Nothing left to join the group: write it, and wait for one its timer is writing. (Files enqueued
        // meanwhile are picked up by this loop.)
        await this.groups.write();
        if (this.queue.length === 0 && !this.groups.filling) return;
        continue;
      }
      // A job for a file whose last chunks wait (re-added meanwhile) runs after they are written and the file
      // settled: its own job then replaces them (or is skipped, the file being completed already).
      const again = this.groups.held(job.storeId, job.fileId) !== undefined;
      if (again || this.groups.mustWriteBefore(job)) {
        this.queue.waiting = job;
        await this.groups.write();
        this.queue.waiting = null;
        if (this.closed) return;
      }
      const mine = this.readAhead.take(job);
      const running = (this.queue.running = { ...job, abort: mine?.abort ?? new AbortController() });
      await inJobProject(job, () => this.ingest(running, mine?.pages)).catch((err: unknown) => log.error({ err, vector_store_id: job.storeId, file_id: job.fileId }, "ingestion crashed"));
      this.queue.running = null;
    }
  }

  private async ingest({ storeId, fileId, fresh, abort }: Running, prefetched?: AsyncIterable<ExtractedPage>): Promise<void> {
    const member = this.deps.storeFiles.get(`${storeId}/${fileId}`);
    if (!member || member.status !== "in_progress") {
      abort.abort(new Error("indexing skipped")); // cancelled or removed while queued: stop its read-ahead, if any
      return;
    }
    try {
      // After the last page, the next file's extraction starts.
      const pages = thenRun(prefetched ?? this.pagesOf(member, abort.signal), () => this.prefetchNext());
      const { usageBytes, held } = await indexOne(this.deps, member, fresh, abort.signal, pages);
      this.groups.hold({ member, abort, usageBytes, rows: held?.rows ?? [], vectors: held?.vectors ?? null });
    } catch (err) {
      // Stopped (removed or cancelled meanwhile): the outcome is discarded in settling.
      await this.deps.index.deleteFile(storeId, fileId).catch(() => undefined);
      await this.settler.settleAll(storeId, [{ member, abort, outcome: failed(err, abort) }]);
      // A failure other than a stop leaves a read-ahead extraction running: it would hold the PDF reader.
      abort.abort(new Error("indexing failed"));
    }
  }

  /** The file's extracted pages, as they come, counted in its progress. */
  private async *pagesOf(member: VectorStoreFile, signal: AbortSignal): AsyncGenerator<ExtractedPage> {
    const progress = this.progress.start(member.vector_store_id, member.id);
    const bytes = await this.deps.files.content(member.id);
    const name = this.deps.files.get(member.id)?.filename ?? member.id;
    for await (const page of extractPages(bytes, name, { pdf: this.deps.pdf, ocr: this.deps.ocr ?? null, signal, onPageCount: progress.pageCount })) {
      progress.pageRead();
      this.deps.metrics?.ingestedPages.inc();
      yield page;
    }
  }

  /**
   * Starts extracting the next queued file now (the PDF reader is free once the running file's last page is
   * out), keeping its pages until its turn: its parse then overlaps the running file's last index writes.
   */
  private prefetchNext(): void {
    const job = this.queue.head;
    if (!job || this.closed || this.readAhead.active) return;
    inJobProject(job, () => {
      const member = this.deps.storeFiles.get(`${job.storeId}/${job.fileId}`);
      if (!member || member.status !== "in_progress") return;
      // Started here, the read-ahead keeps this job's project (not the running job's) while it reads.
      this.readAhead.start(job, (signal) => this.pagesOf(member, signal));
    });
  }
}

/** Runs `fn` in the job's project (all projects when its row was gone at enqueue: the job finds nothing). */
function inJobProject<T>(job: Job, fn: () => T): T {
  return job.project === null ? allProjects(fn) : inProject(job.project, fn);
}
