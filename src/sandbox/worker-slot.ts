/**
 * One place in the pool: a worker thread, the queue of calls waiting for it, and the hard stop.
 *
 * Calls are sent one at a time, and the hard-stop timer starts when the worker says the call's inputs arrived
 * ("started"), so it measures the call itself: neither time queued nor the transfer of its files (bounded by the
 * callers' input caps) counts. Inputs with a content key the session already holds are sent without bytes; if
 * the worker lost them meanwhile it answers "missing" and the call is sent again with every file. A call
 * that overruns timeMs + grace (a native built-in that ignores interrupts, say) gets the worker terminated and
 * replaced; every session that lived in it is gone, which the owner is told through `onSessionsLost`. The thread
 * itself is a WorkerHost's (started with the first call, never stopped for idleness: sessions live in it).
 */
import { WorkerHost, type WorkerCrashed } from "../concurrency/worker-host.js";
import type { FromWorker, InputFile, ToWorker, WorkerData, WorkerSettings } from "./protocol.js";
import type { SandboxFile, SandboxLimits, SandboxResult, SkippedFile } from "./types.js";

const WORKER_ENTRY = new URL("./worker-entry.mjs", import.meta.url);

export interface SlotOptions {
  settings: WorkerSettings;
  hardStopGraceMs: number;
  workerHeapMb: number;
  /** The worker's module (default: the sandbox worker); tests pass a stand-in that speaks the protocol. */
  entry?: URL;
  /** Sessions that were lost because the worker was stopped or crashed; `cause` is the key of the culprit. */
  onSessionsLost(keys: string[], cause: string | null): void;
}

interface Job {
  id: number;
  sessionKey: string;
  code: string;
  files: SandboxFile[];
  skipped: SkippedFile[];
  limits: SandboxLimits;
  /** Send every file with its bytes (the worker answered "missing"). */
  sendAll: boolean;
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
  private current: { job: Job; cancelHardStop: (() => void) | null } | null = null;
  private readonly queue: Job[] = [];
  /** Session keys whose state lives in the current worker. */
  private readonly keys = new Set<string>();
  /** Per session, the content key last sent for each input name (what the worker should hold). */
  private readonly held = new Map<string, Map<string, string>>();
  private nextId = 1;
  /**
   * Shared with the worker: the id of the call to stop. Shared memory, not a message: the worker runs a call
   * synchronously, so a message would only be read after the call ends; QuickJS's interrupt check reads this.
   */
  private readonly cancelCell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: SlotOptions) {
    this.host = new WorkerHost<FromWorker, ToWorker>({
      entry: options.entry ?? WORKER_ENTRY,
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

  run(sessionKey: string, code: string, files: SandboxFile[], limits: SandboxLimits, signal?: AbortSignal, skipped: SkippedFile[] = []): Promise<SandboxResult> {
    if (signal?.aborted) return Promise.resolve(failure(CANCELLED));
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, sessionKey, code, files, skipped, limits, sendAll: false, resolve };
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

  /**
   * Ends a session for good (its container or thread is gone): calls still waiting for it are answered with an
   * error instead of running (they would make it again), and its state in the worker is freed.
   */
  end(sessionKey: string): void {
    for (const job of this.queue.filter((j) => j.sessionKey === sessionKey)) {
      this.queue.splice(this.queue.indexOf(job), 1);
      job.resolve(failure("the session ended (its container or thread was deleted), so this code was not run"));
    }
    this.updateRef();
    this.dispose(sessionKey);
  }

  /** Frees a session's state in the worker (after anything already queued for it). */
  dispose(sessionKey: string): void {
    this.held.delete(sessionKey);
    if (!this.keys.delete(sessionKey) || !this.host.running) return;
    this.host.post({ type: "dispose", sessionKey });
  }

  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.resolve(failure("sandbox closed"));
    this.finishCurrent(failure("sandbox closed"));
    this.keys.clear();
    this.held.clear();
    await this.host.stop();
  }

  private pump(): void {
    if (!this.current && this.queue.length > 0) this.host.start();
    this.updateRef();
    if (this.current || this.queue.length === 0 || !this.host.ready) return;
    const job = this.queue.shift() as Job;
    // No deadline yet: it starts with the worker's "started", once the inputs are there.
    this.current = { job, cancelHardStop: null };
    this.keys.add(job.sessionKey);
    const { id, sessionKey, code, skipped, limits } = job;
    this.host.post({ type: "run", id, sessionKey, code, files: this.inputsFor(job), skipped, limits });
  }

  /** The job's files, without the bytes of those the session holds already; records what it will hold. */
  private inputsFor(job: Job): InputFile[] {
    const previous = job.sendAll ? undefined : this.held.get(job.sessionKey);
    const next = new Map<string, string>();
    const inputs = job.files.map((file): InputFile => {
      if (file.key === undefined) return file;
      next.set(file.name, file.key);
      return previous?.get(file.name) === file.key ? { name: file.name, key: file.key } : file;
    });
    // Names not sent this time keep what the session holds for them.
    for (const [name, key] of previous ?? []) if (!next.has(name) && !job.files.some((f) => f.name === name)) next.set(name, key);
    for (const { name } of job.skipped) next.delete(name);
    this.held.set(job.sessionKey, next);
    return inputs;
  }

  private onStarted(id: number): void {
    const current = this.current;
    if (!current || current.job.id !== id || current.cancelHardStop) return;
    const { job } = current;
    current.cancelHardStop = this.host.deadline(job.limits.timeMs + this.options.hardStopGraceMs, () => this.hardStop(job));
  }

  /** The session lost inputs we sent without bytes: send the call again, first in line, with every file. */
  private onMissing(id: number): void {
    if (this.current?.job.id !== id) return;
    const { job } = this.current;
    this.current = null;
    this.held.delete(job.sessionKey);
    if (job.sendAll) {
      job.resolve(failure("sandbox internal error: the session did not keep its input files"));
      return;
    }
    job.sendAll = true;
    this.queue.unshift(job);
  }

  /** Only a worker with work to do keeps the process alive: the owner may never call close(). */
  private updateRef(): void {
    if (this.current || this.queue.length > 0) this.host.busy();
    else this.host.idle();
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === "started") return this.onStarted(msg.id);
    if (msg.type === "missing") this.onMissing(msg.id);
    if (msg.type === "result" && this.current?.job.id === msg.id) this.finishCurrent(msg.result);
    this.pump();
  }

  private finishCurrent(result: SandboxResult): void {
    if (!this.current) return;
    this.current.cancelHardStop?.();
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
    this.held.clear();
    this.options.onSessionsLost(lost, culprit);
  }
}
