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
 */
import { Worker } from "node:worker_threads";
import { PAGE_CLAIMS_STOPPED, type FromPdfWorker, type ToPdfWorker } from "./pdf-worker-protocol.js";
import { PdfLimitError, type PdfPage, type PdfReader } from "./pdf-reader.js";

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
}

type JobEvent = { type: "page"; page: number; text: string } | { type: "done" } | { type: "failed"; error: Error };

interface Job {
  id: number;
  /** The caller's bytes until the first worker has loaded the document: a helper joining gets its own copy. */
  bytes: Uint8Array;
  /** The document's page counter, shared with its workers (see ToPdfWorker). */
  next: Int32Array;
  events: JobEvent[];
  /** Wakes the consumer waiting for the next event. */
  wake: (() => void) | null;
  /** Workers still parsing this document; it is over when none is left. */
  workers: Set<Worker>;
  /** The worker that got the document first; its page count decides on helpers. */
  first: Worker | null;
  ended: boolean;
  /** Resolves when every worker is done with this job (done, error, crash or time limit). */
  whenEnded: Promise<void>;
  end(): void;
  timer: NodeJS.Timeout | null;
}

export class WorkerPdfReader implements PdfReader {
  private readonly workers: Array<Worker | null>;
  /** Workers that have imported pdf.js (posted `ready`). */
  private readonly ready = new Set<Worker>();
  /** Pages each worker slot has parsed since this reader was made (slot 0 gets every document first). */
  readonly pagesParsed: number[];
  private current: Job | null = null;
  private turn: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPdfReaderOptions) {
    this.workers = new Array<Worker | null>(Math.max(1, options.threads ?? 1)).fill(null);
    this.pagesParsed = this.workers.map(() => 0);
  }

  /** Whether a worker thread is running now (they start with a document and stop when idle). */
  get hasWorker(): boolean {
    return this.workers.some((w) => w !== null);
  }

  /** How many worker threads are running now. */
  get workerCount(): number {
    return this.workers.filter((w) => w !== null).length;
  }

  async *pages(bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<PdfPage> {
    signal?.throwIfAborted();
    const release = await this.waitForTurn();
    if (signal?.aborted) {
      release();
      throw signal.reason;
    }
    const job = this.newJob(bytes);
    const onAbort = () => job.wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      this.start(job);
      // Workers sharing a document finish its pages out of order: a page waits here until its turn.
      const early = new Map<number, string>();
      let want = 1;
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const event = job.events.shift();
        if (!event) {
          await new Promise<void>((resolve) => (job.wake = resolve));
          job.wake = null;
          continue;
        }
        if (event.type === "failed") throw event.error;
        if (event.type === "done") {
          // Every page a worker claimed was posted before its "done": a gap would be a bug, not a short document.
          if (early.size > 0) throw new Error(`the PDF parser lost page ${want}`);
          return;
        }
        early.set(event.page, event.text);
        for (let text = early.get(want); text !== undefined; text = early.get(want)) {
          if (signal?.aborted) throw signal.reason;
          early.delete(want);
          yield { page: want++, text };
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // Left early (aborted, failed, or the consumer stopped reading): no worker takes another page; one
      // that takes longer than STOP_GRACE_MS to finish its page gets the workers terminated.
      if (!job.ended) {
        Atomics.store(job.next, 0, PAGE_CLAIMS_STOPPED);
        const grace = setTimeout(() => job.ended || this.fail(new Error("the PDF parse was stopped")), this.options.stopGraceMs ?? STOP_GRACE_MS);
        await job.whenEnded;
        clearTimeout(grace);
      }
      this.becomeIdle();
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
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

  private newJob(bytes: Uint8Array): Job {
    let end!: () => void;
    const whenEnded = new Promise<void>((resolve) => (end = resolve));
    const next = new Int32Array(new SharedArrayBuffer(4));
    const job: Job = { id: this.nextId++, bytes, next, events: [], wake: null, workers: new Set(), first: null, ended: false, whenEnded, timer: null, end: () => {} };
    job.end = () => {
      if (job.ended) return;
      job.ended = true;
      if (job.timer) clearTimeout(job.timer);
      if (this.current === job) this.current = null;
      end();
    };
    return job;
  }

  private start(job: Job): void {
    try {
      if (this.closed) throw new Error("the PDF reader was closed");
      job.first = this.send(job, 0, job.bytes);
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
  private send(job: Job, slot: number, bytes: Uint8Array): Worker {
    const worker = this.ensureWorker(slot);
    // A copy (by constructor: Buffer's slice() is a view), transferred: the caller keeps its bytes, and the
    // copy moves to the worker without being copied again.
    const copy = new Uint8Array(bytes);
    worker.postMessage({ type: "parse", id: job.id, bytes: copy, next: job.next.buffer as SharedArrayBuffer } satisfies ToPdfWorker, [copy.buffer]);
    job.workers.add(worker);
    return worker;
  }

  /** The first worker loaded a document of `total` pages: long enough to share with helpers? */
  private share(job: Job, total: number): void {
    const claimed = Atomics.load(job.next, 0);
    // Bytes are needed no longer: only here do helpers join.
    const bytes = job.bytes;
    job.bytes = new Uint8Array(0);
    if (claimed >= PAGE_CLAIMS_STOPPED) return; // stopped meanwhile
    const left = total - claimed;
    const helpers = Math.min(this.workers.length - 1, Math.floor(left / PAGES_PER_WORKER) - 1);
    for (let slot = 1; slot <= helpers; slot++) {
      const worker = this.workers[slot];
      try {
        if ((worker && this.ready.has(worker)) || left >= COLD_HELPER_MIN_PAGES) this.send(job, slot, bytes);
        else this.ensureWorker(slot); // warming up for the next document
      } catch (err) {
        // The workers on it parse every page by themselves then.
        console.error("could not start a PDF helper thread:", err);
        return;
      }
    }
  }

  private ensureWorker(slot: number): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const running = this.workers[slot];
    if (running) {
      running.ref();
      return running;
    }
    // execArgv []: not the parent's flags, which under tsx load its TypeScript loader (see pdf-pages.mjs).
    const worker = new Worker(WORKER_ENTRY, {
      execArgv: [],
      ...(this.options.memoryMb === null ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb } }),
    });
    worker.on("message", (msg: FromPdfWorker) => this.onMessage(worker, msg));
    worker.on("error", (err: Error & { code?: string }) => {
      if (!this.workers.includes(worker)) return;
      this.fail(
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new PdfLimitError(`the PDF needs more memory than the parser may use (${this.memoryLimit()}, PDF_PARSE_MEMORY_MB): split it into smaller files`)
          : new Error(`the PDF parser crashed: ${err.message}`),
      );
    });
    worker.on("exit", (code) => {
      if (this.workers.includes(worker)) this.fail(new Error(`the PDF parser stopped unexpectedly (exit code ${code})`));
    });
    this.workers[slot] = worker;
    return worker;
  }

  private memoryLimit(): string {
    return this.options.memoryMb === null ? "the default heap limit" : `${this.options.memoryMb} MB`;
  }

  private onMessage(worker: Worker, msg: FromPdfWorker): void {
    if (msg.type === "ready") {
      if (this.workers.includes(worker)) this.ready.add(worker);
      return;
    }
    const job = this.current;
    if (!job || msg.id !== job.id) return; // a stopped job's late pages
    switch (msg.type) {
      case "started":
        job.timer ??= setTimeout(() => {
          const seconds = Math.round(this.options.timeoutMs / 100) / 10;
          this.fail(new PdfLimitError(`parsing took longer than ${seconds} s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files`));
        }, this.options.timeoutMs);
        return;
      case "loaded":
        if (worker === job.first) this.share(job, msg.total);
        return;
      case "page":
        this.pagesParsed[this.workers.indexOf(worker)]! += 1;
        this.deliver(job, { type: "page", page: msg.page, text: msg.text });
        return;
      case "error":
        // The document is broken for every worker: the others need not take more pages.
        Atomics.store(job.next, 0, PAGE_CLAIMS_STOPPED);
        this.deliver(job, { type: "failed", error: Object.assign(new Error(msg.message), { name: msg.name }) });
        this.leave(job, worker);
        return;
      case "done":
        this.leave(job, worker);
        return;
    }
  }

  /** `worker` is finished with `job`; the job is over when its last worker is. */
  private leave(job: Job, worker: Worker): void {
    job.workers.delete(worker);
    if (job.workers.size > 0) return;
    this.deliver(job, { type: "done" });
    job.end();
  }

  private deliver(job: Job, event: JobEvent): void {
    job.events.push(event);
    job.wake?.();
  }

  /** Stops every worker (one may be stuck or broken) and ends the current job with `error`. */
  private fail(error: Error): void {
    this.stopWorkers();
    const job = this.current;
    if (job) {
      this.deliver(job, { type: "failed", error });
      job.end();
    }
  }

  /** Between documents the workers must not keep the process alive, and are stopped after idleMs. */
  private becomeIdle(): void {
    if (!this.hasWorker || this.closed) return;
    for (const worker of this.workers) worker?.unref();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.current || this.stopWorkers(), this.options.idleMs);
    this.idleTimer.unref();
  }

  /** Terminates every worker; their late events are ignored (they are no longer in `workers`). */
  private stopWorkers(): void {
    const workers = this.workers.filter((w): w is Worker => w !== null);
    this.workers.fill(null);
    this.ready.clear();
    for (const worker of workers) void worker.terminate();
  }
}
