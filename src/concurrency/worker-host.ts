/**
 * One worker thread, hosted: the one place that starts, watches and stops worker threads. The PDF parsers
 * (files/pdf-worker-reader.ts) and the sandbox workers (sandbox/worker-slot.ts) are built on it; what they
 * say to their threads is theirs.
 *
 * - Lazy: the thread starts with the first `post` (or `start`), not with the host: each costs tens of MB,
 *   which a server that never parses a PDF or runs code should not pay.
 * - Busy or idle, told by the owner: only a busy thread keeps the process alive (the owner may never call
 *   `stop`), and an idle one is stopped after `idleMs` when that is set.
 * - Deadlines: synchronous code in a thread (a native loop, a hostile PDF) can only be stopped by terminating
 *   the thread; `deadline` does that unless it is cancelled in time.
 * - A thread that dies on its own (an uncaught error, its heap limit, an exit) is reported once, as
 *   WorkerCrashed; the next `post` starts a fresh one. A thread the host stopped is not reported, and its late
 *   messages are dropped: whatever it was doing was given up already.
 */
import { Worker, type ResourceLimits, type TransferListItem } from "node:worker_threads";

export type WorkerCrashKind = "error" | "out_of_memory" | "exit";

/** A hosted thread died without being asked to: `kind` says how. */
export class WorkerCrashed extends Error {
  override readonly name = "WorkerCrashed";
  constructor(
    readonly kind: WorkerCrashKind,
    message: string,
    /** The thread's exit code (kind "exit"), else null. */
    readonly exitCode: number | null,
    /**
     * Died before it said it was ready (see WorkerHostOptions.isReady): its start itself is broken, so an owner
     * that restarted it for queued work would loop.
     */
    readonly beforeReady: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface WorkerHostOptions<Out> {
  entry: URL;
  workerData?: unknown;
  resourceLimits?: ResourceLimits;
  /** Recognizes the thread's "ready" message (its imports are done); `ready` is true from then on. */
  isReady?(message: Out): boolean;
  /** Every message of the current thread, the ready one included. */
  onMessage(message: Out): void;
  /** The current thread died on its own; the host has let go of it already. */
  onCrash(error: WorkerCrashed): void;
  /** An idle thread is stopped after this long; unset: it stays until `stop`. */
  idleMs?: number;
}

export class WorkerHost<Out, In> {
  private worker: Worker | null = null;
  private isReadyNow = false;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: WorkerHostOptions<Out>) {}

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Whether the running thread has posted its ready message. */
  get ready(): boolean {
    return this.isReadyNow;
  }

  /** Starts a thread if none is running; a thread started here (or by `post`) starts busy. Throws if it cannot. */
  start(): void {
    if (this.worker) return;
    this.clearIdle();
    const worker = new Worker(this.options.entry, {
      ...(this.options.workerData !== undefined ? { workerData: this.options.workerData } : {}),
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
      // Not the parent's flags: under tsx or vitest they load a TypeScript loader the entry does not expect
      // (entries load what they need themselves, see sandbox/worker-entry.mjs).
      execArgv: [],
    });
    worker.on("message", (message: Out) => {
      if (worker !== this.worker) return;
      if (this.options.isReady?.(message)) this.isReadyNow = true;
      this.options.onMessage(message);
    });
    worker.on("error", (err: Error & { code?: string }) => {
      this.crashed(worker, new WorkerCrashed(err.code === "ERR_WORKER_OUT_OF_MEMORY" ? "out_of_memory" : "error", err.message, null, !this.isReadyNow, { cause: err }));
    });
    // After an "error" comes an "exit" too: by then the host has let go of the thread, so it is reported once.
    worker.on("exit", (code) => this.crashed(worker, new WorkerCrashed("exit", `exited with code ${code}`, code, !this.isReadyNow)));
    this.worker = worker;
    this.isReadyNow = false;
  }

  /** Sends a message (and the buffers in `transfer`), starting a thread first if none is running. */
  post(message: In, transfer?: readonly TransferListItem[]): void {
    this.start();
    this.worker!.postMessage(message, transfer);
  }

  /** Work is under way or queued: the thread keeps the process alive, and is not stopped for idleness. */
  busy(): void {
    this.clearIdle();
    this.worker?.ref();
  }

  /** Nothing to do: the process may exit without waiting for the thread, which is stopped after `idleMs`. */
  idle(): void {
    if (!this.worker) return;
    this.worker.unref();
    this.clearIdle();
    if (this.options.idleMs === undefined) return;
    this.idleTimer = setTimeout(() => void this.stop(), this.options.idleMs);
    this.idleTimer.unref();
  }

  /**
   * Terminates the running thread unless the returned function is called within `ms`; then calls `expired`
   * (the thread is gone by then, not reported as crashed; the next `post` starts a fresh one).
   */
  deadline(ms: number, expired: () => void): () => void {
    const worker = this.worker;
    const timer = setTimeout(() => {
      if (worker !== null && worker === this.worker) void this.stop();
      expired();
    }, ms);
    return () => clearTimeout(timer);
  }

  /** Terminates the thread (if any); resolves once it is gone. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.isReadyNow = false;
    this.clearIdle();
    if (worker) await worker.terminate();
  }

  private crashed(worker: Worker, error: WorkerCrashed): void {
    if (worker !== this.worker) return; // stopped by us, or reported already
    this.worker = null;
    this.isReadyNow = false;
    this.clearIdle();
    void worker.terminate(); // (after an "error" it is on its way out already; this makes sure)
    this.options.onCrash(error);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
