/**
 * One `ollama` client per call, tied to an AbortController that the caller's signal and an inactivity
 * timer both feed. The client's own abort hooks are not enough: `client.abort()` stops every stream of
 * that client, `.abort()` on a stream exists only once the headers arrived, and non-streaming calls
 * (show, embed) take no signal at all. Routing every request through a `fetch` bound to our controller
 * covers all three, including a server that accepted the connection and never answered.
 */
// The browser build: the Node entry additionally treats any image string naming an existing file as a
// path and uploads that file, which must never happen with images taken from API requests.
import { Ollama } from "ollama/browser";
import { cancellation, timedOut, toModelError, type OllamaCallContext } from "./ollama-errors.js";

/** A client whose every request is aborted when `signal` fires. */
export function clientFor(host: string, signal: AbortSignal): Ollama {
  return new Ollama({
    host,
    fetch: (input, init) =>
      fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
  });
}

/**
 * The lifetime of one call: its client, the caller's cancellation and an inactivity timeout that is
 * re-armed with `kick()` whenever Ollama shows progress. `dispose()` always aborts, which releases the
 * HTTP connection when a consumer stops iterating early.
 */
export class CallScope {
  readonly client: Ollama;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOutFlag = false;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    host: string,
    private readonly timeoutMs: number,
    private readonly callerSignal?: AbortSignal,
  ) {
    this.client = clientFor(host, this.controller.signal);
    if (callerSignal?.aborted) throw cancellation(callerSignal);
    callerSignal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  /** Starts (or restarts) the inactivity timer: Ollama has `timeoutMs` to show the next sign of life. */
  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOutFlag = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  /** Stops the timer while the consumer, not Ollama, holds things up. */
  pause(): void {
    clearTimeout(this.timer);
  }

  /**
   * What to throw for `err`: the caller's cancellation as an AbortError, our own timeout as a
   * `timeout` ModelError (`doing` completes "Ollama sent nothing for 120s while …"), anything else mapped.
   */
  failure(err: unknown, ctx: OllamaCallContext, doing: string): Error {
    if (this.callerSignal?.aborted) return cancellation(this.callerSignal);
    if (this.timedOutFlag) return timedOut(this.timeoutMs, doing);
    return toModelError(err, ctx);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
    this.controller.abort();
  }
}
