/**
 * The code_interpreter contract: the run executor hands model-written JavaScript to a CodeSandbox and turns the
 * result into tool output. Only strings and bytes cross this boundary, never live objects.
 */

/** A file readable (input) or written (output) inside the sandbox, addressed by a plain name. */
export interface SandboxFile {
  name: string;
  bytes: Uint8Array;
  /**
   * Identity of the content (inputs only; e.g. the file id, whose bytes never change). A session that already
   * holds this key under this name is not sent the bytes again.
   */
  key?: string;
}

/** An input that was not loaded (over a size cap): reading it in the sandbox throws an error giving `reason`. */
export interface SkippedFile {
  name: string;
  reason: string;
}

/** Per-call resource limits; any field left out takes the sandbox's default. */
export interface SandboxLimits {
  /** Wall-clock budget for the whole call (script, promise jobs, timers). */
  timeMs: number;
  /** Heap cap for the session; fixed when the session is created (WASM memory cannot be resized down). */
  memoryBytes: number;
  /** QuickJS stack; capped at 256 KB because larger stacks can overflow the host's own stack. */
  stackBytes: number;
  /** Cap on console output (and on `result`), in UTF-8 bytes. */
  outputBytes: number;
}

/** What one execution produced, phrased so a model can read it and fix its code. */
export interface SandboxResult {
  /** console.log/info/warn/error output, truncated at outputBytes with a visible marker. */
  logs: string;
  /** Null on success, else a readable message: "SyntaxError: ...", "timeout: ...", "memory limit exceeded ...". */
  error: string | null;
  /** Files the code wrote during this call whose content is new or changed. */
  files: SandboxFile[];
  /** The value of the last expression (strings as-is, other values as JSON), when there is one. */
  result?: string;
}

/** Options of one `run` call. */
export interface SandboxRunOptions {
  /** Calls with the same key share variables, functions and written files. */
  sessionKey: string;
  /** Files to make readable by name; they replace session files of the same name. */
  files: SandboxFile[];
  /** Inputs left out (too large): the code sees their names and reasons when it tries to read them. */
  skipped?: SkippedFile[];
  limits?: Partial<SandboxLimits>;
  /**
   * Aborting it (the run was cancelled) stops the code at its next interrupt check, or drops the call if it
   * has not started; the call then resolves with a "cancelled: ..." error. The session keeps its state.
   */
  signal?: AbortSignal;
}

/** A place to run untrusted JavaScript. Implementations never throw for faults of the code itself. */
export interface CodeSandbox {
  /** Runs code in the session `sessionKey` (state persists across calls with the same key). */
  run(code: string, opts: SandboxRunOptions): Promise<SandboxResult>;
  /** Forgets a session and its variables now (its container or thread is gone); a call in flight finishes first. */
  end(sessionKey: string): void;
  /** Stops every worker; calls still pending resolve with an error. */
  close(): Promise<void>;
}
