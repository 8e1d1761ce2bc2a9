/**
 * One sandbox session: a QuickJS runtime + context in its own memory-capped WASM module, kept alive across
 * calls so globals persist. Runs inside a worker thread; everything here is synchronous once opened.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten";
import { FileStore } from "./file-store.js";
import { installPrelude, type PreludeHelpers } from "./host-bridge.js";
import { MAX_STACK_BYTES } from "./limits.js";
import type { CappedModule, ModulePool } from "./module-pool.js";
import { capText, OutputBuffer } from "./output-buffer.js";
import { topLevelDeclarationsAsVar } from "./top-level-vars.js";
import type { InputFile } from "./protocol.js";
import type { SandboxLimits, SandboxResult, SkippedFile } from "./types.js";

// Budget for formatting a thrown value or the result after the code's own time is used up.
const FORMAT_MS = 250;
// Budget for cancelling promise jobs left behind by a failed call before the session is given up.
const DRAIN_MS = 100;
const MAX_CODE_BYTES = 1024 * 1024;
const JOB_BATCH = 256;
const UNPRINTABLE_RESULT = "(the value of the last expression could not be converted to text)";
const MB = 1024 * 1024;

const TIMED_OUT = Symbol("timed out");
const NEVER_SETTLED = Symbol("never settled");
type Failure = QuickJSHandle | typeof TIMED_OUT | typeof NEVER_SETTLED;
type Evaluated = { value: QuickJSHandle } | { failure: Failure };

/** A call's result, plus why the session must be discarded (null when it lives on). */
export interface CallOutcome {
  result: SandboxResult;
  resetReason: string | null;
}

export class GuestSession {
  private readonly runtime: QuickJSRuntime;
  private readonly context: QuickJSContext;
  private readonly helpers: PreludeHelpers;
  private readonly store: FileStore;
  private output = new OutputBuffer(0);
  private deadline = 0;
  private interrupted = false;
  /** Whether the current call was cancelled from outside (checked with the deadline). */
  private isCancelled: () => boolean = () => false;
  private cancelled = false;

  static async open(pool: ModulePool, memoryBytes: number, maxFileBytes: number): Promise<GuestSession> {
    return new GuestSession(pool, await pool.acquire(memoryBytes), maxFileBytes);
  }

  private constructor(
    private readonly pool: ModulePool,
    private readonly capped: CappedModule,
    maxFileBytes: number,
  ) {
    this.store = new FileStore(maxFileBytes);
    this.runtime = capped.module.newRuntime();
    this.runtime.setMaxStackSize(MAX_STACK_BYTES);
    this.runtime.setInterruptHandler(() => this.shouldInterrupt());
    this.runtime.setModuleLoader((name) => {
      throw new Error(`cannot import "${name}": modules are not available in this sandbox`);
    });
    this.context = this.runtime.newContext();
    const target = {
      store: this.store,
      log: (text: string) => this.output.append(text),
      maxTransferBytes: Math.floor(capped.maxBytes / 4),
    };
    this.deadline = Date.now() + 1000;
    this.helpers = installPrelude(this.context, target);
  }

  /**
   * Runs one call. Never throws: host-level faults of the module become a reset outcome. `isCancelled` is
   * polled with the deadline; when it turns true the code is interrupted like at a timeout.
   */
  run(code: string, files: readonly InputFile[], limits: SandboxLimits, isCancelled: () => boolean = () => false, skipped: readonly SkippedFile[] = []): CallOutcome {
    this.isCancelled = isCancelled;
    this.cancelled = false;
    this.store.beginCall(files, skipped);
    this.output = new OutputBuffer(limits.outputBytes);
    if (Buffer.byteLength(code) > MAX_CODE_BYTES) {
      return this.outcome(`code is too long (${Buffer.byteLength(code)} bytes; the limit is ${MAX_CODE_BYTES})`);
    }
    try {
      this.runtime.setMaxStackSize(Math.min(limits.stackBytes, MAX_STACK_BYTES));
      this.startClock(limits.timeMs);
      const evaluated = this.evaluate(code);
      const outcome = this.conclude(evaluated, limits);
      return outcome.resetReason ? outcome : this.cleanUp(outcome);
    } catch (hostError) {
      return this.crashed(hostError);
    }
  }

  /** Whether the inputs sent without bytes are already here (else the pool must send them all). */
  holds(files: readonly InputFile[]): boolean {
    return this.store.holds(files);
  }

  /** Frees the runtime; the module is reused only if it can be trusted (no memory error, no crash). */
  dispose(reusable: boolean): void {
    if (!reusable) return; // A broken module is simply dropped: disposing it could abort inside WASM.
    try {
      for (const handle of Object.values(this.helpers)) handle.dispose();
      this.context.dispose();
      this.runtime.dispose();
      this.pool.release(this.capped);
    } catch {
      // A leak assertion means the module is suspect: let it be garbage-collected instead of reused.
    }
  }

  private shouldInterrupt(): boolean {
    if (this.isCancelled()) this.cancelled = true;
    else if (Date.now() <= this.deadline) return false;
    this.interrupted = true;
    return true;
  }

  private startClock(ms: number): void {
    this.deadline = Date.now() + ms;
    this.interrupted = false;
  }

  private evaluate(code: string): Evaluated {
    // "global" forces script mode: static import/export is a SyntaxError and top-level var persists.
    const evaluated = this.context.evalCode(this.redeclarable(code), "main.js", { type: "global" });
    if (evaluated.error) return { failure: evaluated.error };
    const failure = this.settle();
    if (failure) {
      evaluated.value.dispose();
      return { failure };
    }
    return this.unwrapPromise(evaluated.value);
  }

  /** The code with top-level const/let/class as var (see top-level-vars.ts), unless that would not compile. */
  private redeclarable(code: string): string {
    const rewritten = topLevelDeclarationsAsVar(code);
    if (rewritten === code) return code;
    const check = this.context.evalCode(rewritten, "main.js", { type: "global", compileOnly: true });
    const compiles = !check.error;
    check.dispose();
    return compiles ? rewritten : code;
  }

  /** Runs promise jobs and virtual-clock timers until none remain or the deadline passes. */
  private settle(): Failure | null {
    for (;;) {
      if (this.runtime.hasPendingJob()) {
        // In batches: a chain that catches its own interrupt via promise rejection would never end a full drain.
        const jobs = this.runtime.executePendingJobs(JOB_BATCH);
        if (jobs.error) return jobs.error;
      }
      if (this.interrupted || this.shouldInterrupt()) return TIMED_OUT;
      const step = this.context.callFunction(this.helpers.runTimer, this.context.undefined);
      if (step.error) return step.error;
      const ranTimer = this.context.typeof(step.value) === "boolean" && this.context.dump(step.value) === true;
      step.value.dispose();
      if (!ranTimer && !this.runtime.hasPendingJob()) return null;
    }
  }

  /** A promise as the last value is awaited: its outcome becomes the call's result or error. */
  private unwrapPromise(value: QuickJSHandle): Evaluated {
    const state = this.context.getPromiseState(value);
    if (state.type === "fulfilled" && state.notAPromise) return { value };
    value.dispose();
    if (state.type === "pending") return { failure: NEVER_SETTLED };
    return state.type === "fulfilled" ? { value: state.value } : { failure: state.error };
  }

  private conclude(evaluated: Evaluated, limits: SandboxLimits): CallOutcome {
    // Checked first: an interrupt inside a promise job only rejects that job's promise, so code can "succeed"
    // after running out of time.
    const timedOut = this.interrupted;
    this.isCancelled = () => false; // formatting the outcome must not be interrupted again
    this.startClock(FORMAT_MS);
    this.callHelper(this.helpers.endCall, this.context.undefined);
    if ("value" in evaluated && !timedOut) {
      const text = this.callHelper(this.helpers.formatResult, evaluated.value);
      if (text === undefined) return this.outcome(null);
      return this.outcome(null, capText(text ?? UNPRINTABLE_RESULT, limits.outputBytes));
    }
    const failure = "value" in evaluated ? evaluated.value : evaluated.failure;
    if (failure === TIMED_OUT || timedOut) {
      if (typeof failure !== "symbol") failure.dispose();
      if (this.cancelled) return this.outcome("cancelled: the run was cancelled, so this code was stopped");
      return this.outcome(`timeout: execution exceeded ${limits.timeMs} ms (stopped; look for infinite loops or process less data per call)`);
    }
    if (failure === NEVER_SETTLED) {
      return this.outcome("the promise returned by the code never settled (it waits for something that never happens)");
    }
    const text = this.callHelper(this.helpers.formatError, failure);
    if (this.isMemoryError(text)) return this.memoryExceeded();
    return this.outcome(capText(text ?? "Uncaught exception (its value could not be printed)", limits.outputBytes));
  }

  /** Calls a prelude helper on a handle it consumes: null when the helper threw, undefined for a non-string. */
  private callHelper(helper: QuickJSHandle, arg: QuickJSHandle): string | null | undefined {
    const call = this.context.callFunction(helper, this.context.undefined, arg);
    arg.dispose();
    if (call.error) {
      call.error.dispose();
      return null;
    }
    const text = this.context.typeof(call.value) === "string" ? this.context.getString(call.value) : undefined;
    call.value.dispose();
    return text;
  }

  private isMemoryError(text: string | null | undefined): boolean {
    if (text?.startsWith("InternalError: out of memory")) return true;
    // When memory is truly exhausted QuickJS cannot even build the error object and throws null or "".
    const nearlyFull = this.capped.memory.buffer.byteLength >= this.capped.maxBytes - 2 * MB;
    return nearlyFull && (!text || text.startsWith("Uncaught "));
  }

  private memoryExceeded(): CallOutcome {
    const mb = Math.round(this.capped.maxBytes / MB);
    return this.reset(`memory limit exceeded: the code needed more than the ${mb} MB the sandbox allows. The session was reset, so variables from earlier calls are gone; process data in smaller pieces`);
  }

  private crashed(hostError: unknown): CallOutcome {
    const nearlyFull = this.capped.memory.buffer.byteLength >= this.capped.maxBytes - 2 * MB;
    if (nearlyFull) return this.memoryExceeded();
    const message = hostError instanceof Error ? hostError.message : String(hostError);
    return this.reset(`sandbox crashed (${message}). The session was reset, so variables from earlier calls are gone`);
  }

  /** Drops stray promise jobs (timers went with endCall) so nothing from this call runs in the next one. */
  private cleanUp(outcome: CallOutcome): CallOutcome {
    if (!this.runtime.hasPendingJob()) return outcome;
    // Interrupt every job: chains die at their next interrupt check. Give up on the session if they don't.
    this.deadline = 0;
    const stopBy = Date.now() + DRAIN_MS;
    while (this.runtime.hasPendingJob() && Date.now() < stopBy) this.runtime.executePendingJobs(100).dispose();
    // Whatever the cancelled jobs printed or scheduled belongs to no call: discard it.
    this.output = new OutputBuffer(0);
    this.startClock(FORMAT_MS);
    this.callHelper(this.helpers.endCall, this.context.undefined);
    if (!this.runtime.hasPendingJob()) return outcome;
    const reason = "background promise jobs could not be stopped. The session was reset, so variables from earlier calls are gone";
    const error = outcome.result.error ? `${outcome.result.error}\n${reason}` : reason;
    return { result: { ...outcome.result, error }, resetReason: reason };
  }

  private outcome(error: string | null, result?: string): CallOutcome {
    const base: SandboxResult = { logs: this.output.toString(), error, files: this.store.changed() };
    return { result: result === undefined ? base : { ...base, result }, resetReason: null };
  }

  private reset(reason: string): CallOutcome {
    return { result: { logs: this.output.toString(), error: reason, files: this.store.changed() }, resetReason: reason };
  }
}
