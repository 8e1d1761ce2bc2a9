/**
 * One place in the pool: a worker thread, the queue of calls waiting for it, and the hard stop.
 *
 * Calls are sent one at a time so the hard-stop timer measures the call itself, not time spent queued. A call
 * that overruns timeMs + grace (a native built-in that ignores interrupts, say) gets the worker terminated and
 * replaced; every session that lived in it is gone, which the owner is told through `onSessionsLost`.
 */
import { Worker } from "node:worker_threads";
import type { FromWorker, ToWorker, WorkerData, WorkerSettings } from "./protocol.js";
import type { SandboxFile, SandboxLimits, SandboxResult } from "./types.js";

const WORKER_ENTRY = new URL("./worker-entry.mjs", import.meta.url);

export interface SlotOptions {
  settings: WorkerSettings;
  hardStopGraceMs: number;
  workerHeapMb: number;
  /** Sessions that were lost because the worker was stopped or crashed; `cause` is the key of the culprit. */
  onSessionsLost(keys: string[], cause: string | null): void;
}

interface Job {
  id: number;
  sessionKey: string;
  code: string;
  files: SandboxFile[];
  limits: SandboxLimits;
  resolve(result: SandboxResult): void;
}

const SESSION_GONE = "the session was reset, so variables from earlier calls are gone";
const CANCELLED = "cancelled: the run was cancelled, so this code was stopped";

function failure(error: string): SandboxResult {
  return { logs: "", error, files: [] };
}

export class WorkerSlot {
  private worker: Worker | null = null;
  private ready = false;
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private readonly queue: Job[] = [];
  /** Session keys whose state lives in the current worker. */
  private readonly keys = new Set<string>();
  private nextId = 1;
  /**
   * Shared with the worker: the id of the call to stop. Shared memory, not a message: the worker runs a call
   * synchronously, so a message would only be read after the call ends; QuickJS's interrupt check reads this.
   */
  private readonly cancelCell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: SlotOptions) {}

  /** Number of sessions assigned here, for balancing new sessions across slots. */
  get load(): number {
    return this.keys.size + this.queue.length;
  }

  run(sessionKey: string, code: string, files: SandboxFile[], limits: SandboxLimits, signal?: AbortSignal): Promise<SandboxResult> {
    if (signal?.aborted) return Promise.resolve(failure(CANCELLED));
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, sessionKey, code, files, limits, resolve };
      const onAbort = () => this.cancel(job);
      signal?.addEventListener("abort", onAbort, { once: true });
      job.resolve = (result) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      this.queue.push(job);
      this.pump();
    });
  }

  /** A queued call is dropped; a running one is interrupted (its result then reports the cancellation). */
  private cancel(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.resolve(failure(CANCELLED));
      this.updateRef();
    } else if (this.current?.job === job) {
      Atomics.store(this.cancelCell, 0, job.id);
    }
  }

  /** Frees a session's state in the worker (after anything already queued for it). */
  dispose(sessionKey: string): void {
    if (!this.keys.delete(sessionKey) || !this.worker) return;
    this.post({ type: "dispose", sessionKey });
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.resolve(failure("sandbox closed"));
    this.finishCurrent(failure("sandbox closed"));
    const worker = this.worker;
    this.worker = null;
    this.keys.clear();
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (!this.current && this.queue.length > 0 && !this.worker) this.spawn();
    this.updateRef();
    if (this.current || this.queue.length === 0 || !this.ready || !this.worker) return;
    const job = this.queue.shift() as Job;
    const timer = setTimeout(() => this.hardStop(job), job.limits.timeMs + this.options.hardStopGraceMs);
    this.current = { job, timer };
    this.keys.add(job.sessionKey);
    const { id, sessionKey, code, files, limits } = job;
    this.post({ type: "run", id, sessionKey, code, files, limits });
  }

  private spawn(): void {
    const worker = new Worker(WORKER_ENTRY, {
      workerData: { ...this.options.settings, cancel: this.cancelCell.buffer as SharedArrayBuffer } satisfies WorkerData,
      // Start from a clean flag set: inherited loader flags differ between tsx, vitest and plain node.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb },
    });
    this.worker = worker;
    this.ready = false;
    worker.on("message", (msg: FromWorker) => this.onMessage(worker, msg));
    worker.on("error", (error) => this.onDeath(worker, `sandbox worker crashed (${error.message})`));
    worker.on("exit", (code) => this.onDeath(worker, `sandbox worker exited with code ${code}`));
    this.updateRef();
  }

  /** Only a worker with work to do keeps the process alive: the owner may never call close(). */
  private updateRef(): void {
    if (this.current || this.queue.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (worker !== this.worker) return;
    if (msg.type === "ready") {
      this.ready = true;
    } else if (this.current?.job.id === msg.id) {
      this.finishCurrent(msg.result);
    }
    this.pump();
  }

  private finishCurrent(result: SandboxResult): void {
    if (!this.current) return;
    clearTimeout(this.current.timer);
    this.current.job.resolve(result);
    this.current = null;
    this.updateRef();
  }

  private hardStop(job: Job): void {
    if (this.current?.job !== job || !this.worker) return;
    const worker = this.worker;
    this.replaceWorker(job.sessionKey);
    this.finishCurrent(failure(`timeout: execution exceeded ${job.limits.timeMs} ms and had to be force-stopped; ${SESSION_GONE}`));
    void worker.terminate();
    this.pump();
  }

  /** A worker died on its own: before it was ready, queued calls fail rather than respawn in a loop. */
  private onDeath(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    const wasReady = this.ready;
    this.replaceWorker(this.current?.job.sessionKey ?? null);
    this.finishCurrent(failure(`${reason}; ${SESSION_GONE}`));
    if (!wasReady) {
      for (const job of this.queue.splice(0)) job.resolve(failure(`sandbox unavailable: ${reason}`));
    }
    this.pump();
  }

  private replaceWorker(culprit: string | null): void {
    const lost = [...this.keys];
    this.keys.clear();
    this.worker = null;
    this.ready = false;
    this.options.onSessionsLost(lost, culprit);
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }
}
