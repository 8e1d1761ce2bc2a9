/**
 * One place in the pool: a worker thread, the queue of calls waiting for it, and the hard stop.
 *
 * Calls are sent one at a time so the hard-stop timer measures the call itself, not time spent queued. A call
 * that overruns timeMs + grace (a native built-in that ignores interrupts, say) gets the worker terminated and
 * replaced; every session that lived in it is gone, which the owner is told through `onSessionsLost`. The thread
 * itself is a WorkerHost's (started with the first call, never stopped for idleness: sessions live in it).
 */
import { WorkerHost, type WorkerCrashed } from "../concurrency/worker-host.js";
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
  private readonly host: WorkerHost<FromWorker, ToWorker>;
  /** The call the worker is running, and the cancel of its hard-stop deadline. */
  private current: { job: Job; cancelHardStop: () => void } | null = null;
  private readonly queue: Job[] = [];
  /** Session keys whose state lives in the current worker. */
  private readonly keys = new Set<string>();
  private nextId = 1;
  /**
   * Shared with the worker: the id of the call to stop. Shared memory, not a message: the worker runs a call
   * synchronously, so a message would only be read after the call ends; QuickJS's interrupt check reads this.
   */
  private readonly cancelCell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: SlotOptions) {
    this.host = new WorkerHost<FromWorker, ToWorker>({
      entry: WORKER_ENTRY,
      workerData: { ...options.settings, cancel: this.cancelCell.buffer as SharedArrayBuffer } satisfies WorkerData,
      resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb },
      isReady: (msg) => msg.type === "ready",
      onMessage: (msg) => this.onMessage(msg),
      onCrash: (err) => this.onDeath(err),
    });
  }

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
    if (!this.keys.delete(sessionKey) || !this.host.running) return;
    this.host.post({ type: "dispose", sessionKey });
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.resolve(failure("sandbox closed"));
    this.finishCurrent(failure("sandbox closed"));
    this.keys.clear();
    await this.host.stop();
  }

  private pump(): void {
    if (!this.current && this.queue.length > 0) this.host.start();
    this.updateRef();
    if (this.current || this.queue.length === 0 || !this.host.ready) return;
    const job = this.queue.shift() as Job;
    const cancelHardStop = this.host.deadline(job.limits.timeMs + this.options.hardStopGraceMs, () => this.hardStop(job));
    this.current = { job, cancelHardStop };
    this.keys.add(job.sessionKey);
    const { id, sessionKey, code, files, limits } = job;
    this.host.post({ type: "run", id, sessionKey, code, files, limits });
  }

  /** Only a worker with work to do keeps the process alive: the owner may never call close(). */
  private updateRef(): void {
    if (this.current || this.queue.length > 0) this.host.busy();
    else this.host.idle();
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === "result" && this.current?.job.id === msg.id) this.finishCurrent(msg.result);
    this.pump();
  }

  private finishCurrent(result: SandboxResult): void {
    if (!this.current) return;
    this.current.cancelHardStop();
    this.current.job.resolve(result);
    this.current = null;
    this.updateRef();
  }

  /** The call overran its deadline: the host has terminated the worker; the next call gets a fresh one. */
  private hardStop(job: Job): void {
    if (this.current?.job !== job) return;
    this.sessionsLost(job.sessionKey);
    this.finishCurrent(failure(`timeout: execution exceeded ${job.limits.timeMs} ms and had to be force-stopped; ${SESSION_GONE}`));
    this.pump();
  }

  /** A worker died on its own: before it was ready, queued calls fail rather than respawn in a loop. */
  private onDeath(err: WorkerCrashed): void {
    const reason = err.kind === "exit" ? `sandbox worker exited with code ${err.exitCode}` : `sandbox worker crashed (${err.message})`;
    this.sessionsLost(this.current?.job.sessionKey ?? null);
    this.finishCurrent(failure(`${reason}; ${SESSION_GONE}`));
    if (err.beforeReady) {
      for (const job of this.queue.splice(0)) job.resolve(failure(`sandbox unavailable: ${reason}`));
    }
    this.pump();
  }

  /** The worker is gone, and with it every session that lived in it. */
  private sessionsLost(culprit: string | null): void {
    const lost = [...this.keys];
    this.keys.clear();
    this.options.onSessionsLost(lost, culprit);
  }
}
