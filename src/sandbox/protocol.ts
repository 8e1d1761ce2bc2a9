/**
 * Messages between the pool (main thread) and a sandbox worker. Everything here is structured-clone data.
 */
import type { SandboxFile, SandboxLimits, SandboxResult, SkippedFile } from "./types.js";

/** Settings fixed for the life of a worker. */
export interface WorkerSettings {
  /** Most bytes of files that code may have written and that a session keeps. */
  maxFileBytes: number;
  /** Spare QuickJS modules a worker keeps for new sessions (instantiating one costs ~2 ms). */
  spareModules: number;
  /** Memory cap of the module prepared at start-up, so the first session opens fast. */
  defaultMemoryBytes: number;
}

/** workerData: the settings, and `cancel`: a 4-byte SharedArrayBuffer holding the id of a run to stop (Int32). */
export interface WorkerData extends WorkerSettings {
  cancel: SharedArrayBuffer;
}

/** An input as sent: without `bytes` when the pool believes the session already holds `key` under `name`. */
export type InputFile = Omit<SandboxFile, "bytes"> & { bytes?: Uint8Array };

export type ToWorker =
  | { type: "run"; id: number; sessionKey: string; code: string; files: InputFile[]; skipped: SkippedFile[]; limits: SandboxLimits }
  | { type: "dispose"; sessionKey: string };

export type FromWorker =
  | { type: "ready" }
  /** The inputs arrived and are stored: the call's own time starts now (the hard stop is timed from here). */
  | { type: "started"; id: number }
  /** The session lacks an input sent without bytes (it was reset, or the code overwrote it): send them all. */
  | { type: "missing"; id: number }
  | { type: "result"; id: number; result: SandboxResult };
