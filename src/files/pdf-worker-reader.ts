/**
 * PdfReader on worker threads (pdf-worker.mjs): the server's way to parse PDFs.
 *
 * - The API stays responsive while a long PDF parses, and ingestion overlaps parsing with chunking: pages
 *   arrive one by one while this thread chunks the ones before (bench/ingestion.ts).
 * - A long document is parsed by up to `threads` workers side by side: each loads the document and takes the
 *   next page nobody has taken yet (a counter in shared memory); the reader hands pages out in page order.
 *   A helper costs one more load of the document and CPU the API thread may want, so only documents with at
 *   least PAGES_PER_WORKER pages per worker get helpers (bench/ingestion.ts measures both).
 * - A PDF that needs more heap than a worker may use, or more than `timeoutMs`, gets the workers terminated
 *   and fails that file only (PdfLimitError); the next PDF gets fresh workers.
 * - Workers start with the first PDF that needs them and are stopped after `idleMs` without one: pdf.js costs
 *   tens of MB per thread.
 *
 * One document at a time (the ingestor indexes one file at a time anyway); later callers wait their turn.
 * Each worker slot is a WorkerHost (starting, idling, deadlines and crashes are handled there).
 */
import { AsyncQueue } from "../concurrency/async-queue.js";
import { WorkerHost, type WorkerCrashed } from "../concurrency/worker-host.js";
import { PAGE_CLAIMS_STOPPED, type FromPdfWorker, type ToPdfWorker } from "./pdf-worker-protocol.js";
import type { PdfLimits } from "./pdf-pages.mjs";
import { PdfLimitError, type PdfPage, type PdfReader } from "./pdf-reader.js";
import { log } from "../log.js";

const WORKER_ENTRY = new URL("./pdf-worker.mjs", import.meta.url);
// How long a stopped document's workers may take to finish the page (or document load) they are in before
// they are terminated instead.
const STOP_GRACE_MS = 1000;
// Pages each worker on one document should get at least. Measured with warm workers on a quiet 2-CPU machine:
// two parsed the 15-page PDF of the shared set in 65 ms instead of 84 and the 117-page one in ~460 ms instead
// of ~660; 1–4-page PDFs took longer with two (a second load of the document for a few pages). Nothing was
// measured between 4 and 15 pages.
const PAGES_PER_WORKER = 4;
// A helper whose thread is still starting (importing pdf.js: ~0.1–0.2 s) slowed a 15-page PDF down instead:
// its first page came last and held the rest back. It joins only documents with this many pages left; for
// shorter ones it is started but left out, ready for the next document.
const COLD_HELPER_MIN_PAGES = 32;

export interface WorkerPdfReaderOptions {
  /** Longest one document may take to parse. */
  timeoutMs: number;
  /**
   * Heap limit of each worker (V8 old generation); null for V8's default (it scales with the machine's memory).
   * Either way a PDF that exhausts it ends the workers only. An explicit limit below the default made pdf.js
   * collect garbage more often: 1024 MB parsed the 117-page PDF ~7% slower than the default (~4 GB here).
   */
  memoryMb: number | null;
  /** The workers are stopped after this long without a document. */
  idleMs: number;
  /** Most workers on one document (default 1). */
  threads?: number;
  /** How long stopped workers may take to finish their page before they are terminated (default STOP_GRACE_MS). */
  stopGraceMs?: number;
  /** Most pages of one document (PDF_MAX_PAGES); none when omitted. */
  maxPages?: number;
  /** Most bytes one document's compressed streams may inflate to (PDF_MAX_INFLATED_MB); none when omitted. */
  maxInflatedBytes?: number;
}

type PdfHost = WorkerHost<FromPdfWorker, ToPdfWorker>;

interface Job {
  id: number;
  /** The caller's bytes until the first worker has loaded the document: a helper joining gets its own copy. */
  bytes: Uint8Array;
  /** The document's page counter, shared with its workers (see ToPdfWorker). */
  next: Int32Array;
  /** Pages as the workers post them (out of order when several share the document); closed at the end. */
  events: AsyncQueue<{ page: number; text: string }>;
  /** Slots still parsing this document; it is over when none is left. */
  workers: Set<number>;
  /** The slot that got the document first; its page count decides on helpers. */
  first: number | null;
  ended: boolean;
  /** Resolves when every worker is done with this job (done, error, crash or time limit). */
  whenEnded: Promise<void>;
  end(): void;
  /** Cancels the time limit's deadline (set when the first worker starts on the document). */
  cancelTimeLimit: (() => void) | null;
  /** The caller's: told the page count when the first worker has opened the document. */
  onTotal: ((pages: number) => void) | undefined;
}

export class WorkerPdfReader implements PdfReader {
  private readonly hosts: PdfHost[];
  /** Pages each worker slot has parsed since this reader was made (slot 0 gets every document first). */
  readonly pagesParsed: number[];
  private current: Job | null = null;
  private turn: Promise<void> = Promise.resolve();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPdfReaderOptions) {
    const slots = Math.max(1, options.threads ?? 1);
    this.hosts = Array.from({ length: slots }, (_, slot) => this.newHost(slot));
    this.pagesParsed = this.hosts.map(() => 0);
  }

  /** Whether a worker thread is running now (they start with a document and stop when idle). */
  get hasWorker(): boolean {
    return this.hosts.some((h) => h.running);
  }

  /** How many worker threads are running now. */
  get workerCount(): number {
    return this.hosts.filter((h) => h.running).length;
  }

  async *pages(bytes: Uint8Array, signal?: AbortSignal, onTotal?: (pages: number) => void): AsyncGenerator<PdfPage> {
    signal?.throwIfAborted();
    const release = await this.waitForTurn();
    if (signal?.aborted) {
      release();
      throw signal.reason;
    }
    const job = this.newJob(bytes, onTotal);
    try {
      this.start(job);
      // Workers sharing a document finish its pages out of order: a page waits here until its turn.
      const early = new Map<number, string>();
      let want = 1;
      for (;;) {
        const event = await job.events.next(signal); // throws the job's failure
        if (signal?.aborted) throw signal.reason;
        if (event.done) {
          // Every page a worker claimed was posted before its "done": a gap would be a bug, not a short document.
          if (early.size > 0) throw new Error(`the PDF parser lost page ${want}`);
          return;
        }
        early.set(event.value.page, event.value.text);
        for (let text = early.get(want); text !== undefined; text = early.get(want)) {
          if (signal?.aborted) throw signal.reason;
          early.delete(want);
          yield { page: want++, text };
        }
      }
    } finally {
      // Left early (aborted, failed, or the consumer stopped reading): no worker takes another page; one
      // that takes longer than STOP_GRACE_MS to finish its page gets the workers terminated.
      if (!job.ended) {
        Atomics.store(job.next, 0, PAGE_CLAIMS_STOPPED);
        const grace = this.hosts[job.first!]!.deadline(this.options.stopGraceMs ?? STOP_GRACE_MS, () => job.ended || this.fail(new Error("the PDF parse was stopped")));
        await job.whenEnded;
        grace();
      }
      this.becomeIdle();
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(new Error("the PDF reader was closed"));
  }

  /** Resolves when every earlier document is finished; returns the function that lets the next one in. */
  private async waitForTurn(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }

  private newJob(bytes: Uint8Array, onTotal: ((pages: number) => void) | undefined): Job {
    let end!: () => void;
    const whenEnded = new Promise<void>((resolve) => (end = resolve));
    const next = new Int32Array(new SharedArrayBuffer(4));
    const events = new AsyncQueue<{ page: number; text: string }>();
    const job: Job = { id: this.nextId++, bytes, next, events, workers: new Set(), first: null, ended: false, whenEnded, cancelTimeLimit: null, end: () => {}, onTotal };
    job.end = () => {
      if (job.ended) return;
      job.ended = true;
      job.cancelTimeLimit?.();
      if (this.current === job) this.current = null;
      end();
    };
    return job;
  }

  private start(job: Job): void {
    try {
      if (this.closed) throw new Error("the PDF reader was closed");
      // Idle workers are stopped after idleMs: not while a document is being parsed, even by other workers.
      for (const host of this.hosts) host.busy();
      job.first = this.send(job, 0, job.bytes, this.limits());
    } catch (err) {
      job.end(); // never reached a worker: nothing to wait for
      throw err;
    }
    this.current = job;
  }

  /**
   * Gives the document (`bytes`) to worker `slot` (starting it if needed); it takes pages from the job's
   * counter and joins the job's workers.
   */
  private send(job: Job, slot: number, bytes: Uint8Array, limits?: PdfLimits): number {
    const host = this.hosts[slot]!;
    host.start();
    host.busy();
    // A copy (by constructor: Buffer's slice() is a view), transferred: the caller keeps its bytes, and the
    // copy moves to the worker without being copied again.
    const copy = new Uint8Array(bytes);
    const msg: ToPdfWorker = { type: "parse", id: job.id, bytes: copy, next: job.next.buffer as SharedArrayBuffer, ...(limits ? { limits } : {}) };
    host.post(msg, [copy.buffer]);
    job.workers.add(slot);
    return slot;
  }

  /** The caps the first worker checks (helpers join a document that passed them). */
  private limits(): PdfLimits | undefined {
    const { maxPages, maxInflatedBytes } = this.options;
    if (maxPages === undefined && maxInflatedBytes === undefined) return undefined;
    return { ...(maxPages === undefined ? {} : { maxPages }), ...(maxInflatedBytes === undefined ? {} : { maxInflatedBytes }) };
  }

  /** The first worker loaded a document of `total` pages: long enough to share with helpers? */
  private share(job: Job, total: number): void {
    const claimed = Atomics.load(job.next, 0);
    // Bytes are needed no longer: only here do helpers join.
    const bytes = job.bytes;
    job.bytes = new Uint8Array(0);
    if (claimed >= PAGE_CLAIMS_STOPPED) return; // stopped meanwhile
    const left = total - claimed;
    const helpers = Math.min(this.hosts.length - 1, Math.floor(left / PAGES_PER_WORKER) - 1);
    for (let slot = 1; slot <= helpers; slot++) {
      const host = this.hosts[slot]!;
      try {
        if (host.ready || left >= COLD_HELPER_MIN_PAGES) this.send(job, slot, bytes);
        else host.start(); // warming up for the next document
      } catch (err) {
        // The workers on it parse every page by themselves then.
        log.error({ err }, "could not start a PDF helper thread");
        return;
      }
    }
  }

  private newHost(slot: number): PdfHost {
    return new WorkerHost<FromPdfWorker, ToPdfWorker>({
      entry: WORKER_ENTRY,
      ...(this.options.memoryMb === null ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb } }),
      isReady: (msg) => msg.type === "ready",
      onMessage: (msg) => this.onMessage(slot, msg),
      // One worker broken: its document fails, and the others on it are stopped too.
      onCrash: (err) => this.fail(this.crashError(err)),
      idleMs: this.options.idleMs,
    });
  }

  private crashError(err: WorkerCrashed): Error {
    switch (err.kind) {
      case "out_of_memory":
        return new PdfLimitError(`the PDF needs more memory than the parser may use (${this.memoryLimit()}, PDF_PARSE_MEMORY_MB): split it into smaller files`);
      case "error":
        return new Error(`the PDF parser crashed: ${err.message}`);
      case "exit":
        return new Error(`the PDF parser stopped unexpectedly (exit code ${err.exitCode})`);
    }
  }

  private memoryLimit(): string {
    return this.options.memoryMb === null ? "the default heap limit" : `${this.options.memoryMb} MB`;
  }

  private onMessage(slot: number, msg: FromPdfWorker): void {
    if (msg.type === "ready") return; // (the host keeps track)
    const job = this.current;
    if (!job || msg.id !== job.id) return; // a stopped job's late pages
    switch (msg.type) {
      case "started":
        job.cancelTimeLimit ??= this.hosts[slot]!.deadline(this.options.timeoutMs, () => {
          const seconds = Math.round(this.options.timeoutMs / 100) / 10;
          this.fail(new PdfLimitError(`parsing took longer than ${seconds} s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files`));
        });
        return;
      case "loaded":
        if (slot !== job.first) return;
        job.onTotal?.(msg.total);
        this.share(job, msg.total);
        return;
      case "page":
        this.pagesParsed[slot]! += 1;
        job.events.push({ page: msg.page, text: msg.text });
        return;
      case "error":
        // The document is broken for every worker: the others need not take more pages.
        Atomics.store(job.next, 0, PAGE_CLAIMS_STOPPED);
        job.events.close(msg.name === "PdfLimitError" ? new PdfLimitError(msg.message) : Object.assign(new Error(msg.message), { name: msg.name }), { afterBuffered: true });
        this.leave(job, slot);
        return;
      case "done":
        this.leave(job, slot);
        return;
    }
  }

  /** Worker `slot` is finished with `job`; the job is over when its last worker is. */
  private leave(job: Job, slot: number): void {
    job.workers.delete(slot);
    if (job.workers.size > 0) return;
    job.events.close();
    job.end();
  }

  /** Stops every worker (one may be stuck or broken) and ends the current job with `error`. */
  private fail(error: Error): void {
    this.stopWorkers();
    const job = this.current;
    if (job) {
      job.events.close(error, { afterBuffered: true });
      job.end();
    }
  }

  /** Between documents the workers must not keep the process alive, and are stopped after idleMs. */
  private becomeIdle(): void {
    if (this.closed) return;
    for (const host of this.hosts) host.idle();
  }

  /** Terminates every worker; their late messages are dropped by their hosts. */
  private stopWorkers(): void {
    for (const host of this.hosts) void host.stop();
  }
}
