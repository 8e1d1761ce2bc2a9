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
import { CallLifetime } from "./call-lifetime.js";
import { timedOut, toModelError, type OllamaCallContext } from "./ollama-errors.js";

/** A client whose every request is aborted when `signal` fires. */
export function clientFor(host: string, signal: AbortSignal): Ollama {
  return new Ollama({
    host,
    fetch: (input, init) =>
      fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
  });
}

/** One call to Ollama: its lifetime (llm/call-lifetime.ts) and a client whose every request it aborts. */
export class CallScope extends CallLifetime {
  readonly client: Ollama;

  constructor(host: string, timeoutMs: number, callerSignal?: AbortSignal) {
    super(timeoutMs, callerSignal);
    this.client = clientFor(host, this.signal);
  }

  /**
   * What to throw for `err`: the caller's cancellation as an AbortError, our own timeout as a
   * `timeout` ModelError (`doing` completes "Ollama sent nothing for 120s while …"), anything else mapped.
   */
  failure(err: unknown, ctx: OllamaCallContext, doing: string): Error {
    return this.failureOf(err, () => timedOut(this.timeoutMs, doing), (e) => toModelError(e, ctx));
  }
}
