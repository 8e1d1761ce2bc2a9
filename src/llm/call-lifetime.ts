/**
 * The lifetime of one call to a model server, whichever protocol it speaks: one AbortController fed by the
 * caller's signal and by an inactivity timer that is re-armed with `kick()` whenever the server shows
 * progress (a long reply is fine, a silent server is not). `dispose()` always aborts, which releases the
 * HTTP connection when a consumer stops iterating early. The adapters turn what went wrong into their
 * ModelErrors; `cancelledBy` and `timedOut` say which of the two ends it was.
 */

/** True for the error fetch/streams throw when an AbortSignal fires (DOMException or Error named AbortError). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/**
 * The error to throw when the caller's own signal cancelled the call: always named `AbortError`, so a
 * caller tells cancellation apart from a ModelError with `isAbortError`. Keeps the signal's reason when
 * it already is an AbortError (the default for `controller.abort()`), else carries it as `cause`.
 */
export function cancellation(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (isAbortError(reason)) return reason as Error;
  const err = new DOMException("The operation was aborted by the caller.", "AbortError");
  return Object.assign(err, { cause: reason });
}

/** `promise`, or a rejection with the abort's reason as soon as `signal` aborts (for calls that take no signal). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export class CallLifetime {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOutFlag = false;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    protected readonly timeoutMs: number,
    private readonly callerSignal?: AbortSignal,
  ) {
    if (callerSignal?.aborted) throw cancellation(callerSignal);
    callerSignal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  /** Aborted when the caller cancels, the server stays silent too long, or the call is disposed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts (or restarts) the inactivity timer: the server has `timeoutMs` to show the next sign of life. */
  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOutFlag = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  /** Stops the timer while the consumer, not the server, holds things up. */
  pause(): void {
    clearTimeout(this.timer);
  }

  /** The AbortError to throw when the caller's own signal ended the call; null when it did not. */
  get cancelledBy(): Error | null {
    return this.callerSignal?.aborted ? cancellation(this.callerSignal) : null;
  }

  /** Whether the inactivity timer ended the call. */
  get timedOut(): boolean {
    return this.timedOutFlag;
  }

  /**
   * What to throw for `err`: the caller's cancellation as an AbortError, the inactivity timeout as the adapter's
   * timeout error, anything else as the adapter maps it. One rule for every adapter.
   */
  failureOf(err: unknown, timeout: () => Error, map: (err: unknown) => Error): Error {
    return this.cancelledBy ?? (this.timedOut ? timeout() : map(err));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
    this.controller.abort();
  }
}
