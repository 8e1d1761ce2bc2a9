/**
 * PdfReader on a worker thread (pdf-worker.mjs): the server's way to parse PDFs.
 *
 * - The API stays responsive while a long PDF parses, and ingestion overlaps parsing with chunking: pages
 *   arrive one by one while this thread chunks the ones before (bench/ingestion.ts).
 * - A PDF that needs more heap than the worker may use, or more than `timeoutMs`, gets the worker terminated and
 *   fails that file only (PdfLimitError); the next PDF gets a fresh worker.
 * - The worker starts on the first PDF and is stopped after `idleMs` without one: pdf.js costs tens of MB.
 *
 * One document at a time (the ingestor indexes one file at a time anyway); later callers wait their turn.
 */
import { Worker } from "node:worker_threads";
import type { FromPdfWorker, PdfWorkerData, ToPdfWorker } from "./pdf-worker-protocol.js";
import { PdfLimitError, type PdfPage, type PdfReader } from "./pdf-reader.js";

const WORKER_ENTRY = new URL("./pdf-worker.mjs", import.meta.url);
// How long a stopped document may take to reach its next page before its worker is terminated instead.
const STOP_GRACE_MS = 1000;

export interface WorkerPdfReaderOptions {
  /** Longest one document may take to parse. */
  timeoutMs: number;
  /**
   * Heap limit of the worker (V8 old generation); null for V8's default (it scales with the machine's memory).
   * Either way a PDF that exhausts it ends the worker only. An explicit limit below the default made pdf.js
   * collect garbage more often: 1024 MB parsed the 117-page PDF ~7% slower than the default (~4 GB here).
   */
  memoryMb: number | null;
  /** The worker is stopped after this long without a document. */
  idleMs: number;
}

type JobEvent = Exclude<FromPdfWorker, { type: "started" }> | { type: "failed"; error: Error };

interface Job {
  id: number;
  events: JobEvent[];
  /** Wakes the consumer waiting for the next event. */
  wake: (() => void) | null;
  ended: boolean;
  /** Resolves when the worker is done with this job (done, error, crash or time limit). */
  whenEnded: Promise<void>;
  end(): void;
  timer: NodeJS.Timeout | null;
}

export class WorkerPdfReader implements PdfReader {
  private worker: Worker | null = null;
  /** Shared with the worker: the id of the document it should stop at the next page. */
  private readonly stopCell = new Int32Array(new SharedArrayBuffer(4));
  private current: Job | null = null;
  private turn: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPdfReaderOptions) {}

  /** Whether a worker thread is running now (it starts with a document and stops when idle). */
  get hasWorker(): boolean {
    return this.worker !== null;
  }

  async *pages(bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<PdfPage> {
    signal?.throwIfAborted();
    const release = await this.waitForTurn();
    if (signal?.aborted) {
      release();
      throw signal.reason;
    }
    const job = this.newJob();
    const onAbort = () => job.wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      this.start(job, bytes);
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const event = job.events.shift();
        if (!event) {
          await new Promise<void>((resolve) => (job.wake = resolve));
          job.wake = null;
          continue;
        }
        if (event.type === "done") return;
        if (event.type === "failed") throw event.error;
        if (event.type === "error") throw Object.assign(new Error(event.message), { name: event.name });
        yield { page: event.page, text: event.text };
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // Left early (aborted, or the consumer stopped reading): let the worker stop at the next page; a page
      // that takes longer than STOP_GRACE_MS to finish gets the worker terminated.
      if (!job.ended) {
        Atomics.store(this.stopCell, 0, job.id);
        const grace = setTimeout(() => job.ended || this.fail(new Error("the PDF parse was stopped")), STOP_GRACE_MS);
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

  private newJob(): Job {
    let end!: () => void;
    const whenEnded = new Promise<void>((resolve) => (end = resolve));
    const job: Job = { id: this.nextId++, events: [], wake: null, ended: false, whenEnded, timer: null, end: () => {} };
    job.end = () => {
      if (job.ended) return;
      job.ended = true;
      if (job.timer) clearTimeout(job.timer);
      if (this.current === job) this.current = null;
      end();
    };
    return job;
  }

  private start(job: Job, bytes: Uint8Array): void {
    try {
      if (this.closed) throw new Error("the PDF reader was closed");
      const worker = this.ensureWorker();
      // A copy (by constructor: Buffer's slice() is a view), transferred: the caller keeps its bytes, and the
      // copy moves to the worker without being copied again.
      const copy = new Uint8Array(bytes);
      worker.postMessage({ type: "parse", id: job.id, bytes: copy } satisfies ToPdfWorker, [copy.buffer]);
    } catch (err) {
      job.end(); // never reached the worker: nothing to wait for
      throw err;
    }
    this.current = job;
  }

  private ensureWorker(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    // execArgv []: not the parent's flags, which under tsx load its TypeScript loader (see pdf-pages.mjs).
    const worker = new Worker(WORKER_ENTRY, {
      execArgv: [],
      ...(this.options.memoryMb === null ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb } }),
      workerData: { stop: this.stopCell.buffer as SharedArrayBuffer } satisfies PdfWorkerData,
    });
    worker.on("message", (msg: FromPdfWorker) => this.onMessage(msg));
    worker.on("error", (err: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      this.fail(
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new PdfLimitError(`the PDF needs more memory than the parser may use (${this.memoryLimit()}, PDF_PARSE_MEMORY_MB): split it into smaller files`)
          : new Error(`the PDF parser crashed: ${err.message}`),
      );
    });
    worker.on("exit", (code) => {
      if (this.worker === worker) this.fail(new Error(`the PDF parser stopped unexpectedly (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private memoryLimit(): string {
    return this.options.memoryMb === null ? "the default heap limit" : `${this.options.memoryMb} MB`;
  }

  private onMessage(msg: FromPdfWorker): void {
    const job = this.current;
    if (!job || msg.id !== job.id) return; // a stopped job's late pages
    if (msg.type === "started") {
      job.timer = setTimeout(() => {
        const seconds = Math.round(this.options.timeoutMs / 100) / 10;
        this.fail(new PdfLimitError(`parsing took longer than ${seconds} s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files`));
      }, this.options.timeoutMs);
      return;
    }
    this.deliver(job, msg);
    if (msg.type !== "page") job.end();
  }

  private deliver(job: Job, event: JobEvent): void {
    job.events.push(event);
    job.wake?.();
  }

  /** Stops the worker (it may be stuck or broken) and ends the current job with `error`. */
  private fail(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    const job = this.current;
    if (job) {
      this.deliver(job, { type: "failed", error });
      job.end();
    }
  }

  /** Between documents the worker must not keep the process alive, and is stopped after idleMs. */
  private becomeIdle(): void {
    const worker = this.worker;
    if (!worker || this.closed) return;
    worker.unref();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.current) return;
      this.worker = null;
      void worker.terminate();
    }, this.options.idleMs);
    this.idleTimer.unref();
  }
}
