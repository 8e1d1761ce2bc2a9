import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServerResponse } from "node:http";
import type { RunEvent } from "../runs/events.js";

const KEEP_ALIVE_MS = 10_000;

/** What the SSE writer needs of a run stream (runs/run-stream.ts): events until the last, and a way to leave. */
export interface EventSource {
  next(signal?: AbortSignal): Promise<IteratorResult<RunEvent, undefined>>;
  close(): void;
  /** Aborted when the source gave up on this reader for falling too far behind. */
  readonly dropped?: AbortSignal;
}

export interface SseOptions {
  /**
   * The name of the event carrying the final `data: [DONE]`: `done` for the Assistants API (default), none for
   * the Responses API, whose streams end with a bare `data: [DONE]`.
   */
  doneEvent?: string | null;
}

/**
 * Writes an event stream as server-sent events, ending with `[DONE]`. The client going away closes the stream
 * (the run or response goes on); a stream that fails ends with `event: error`; a client that stops reading is
 * disconnected once it falls too far behind (runs/run-stream.ts MAX_BUFFERED_EVENTS).
 */
export function sseResponse(c: Context, events: EventSource, options: SseOptions = {}): Response {
  const doneEvent = options.doneEvent === undefined ? "done" : options.doneEvent;
  const present = c.get("present") ?? ((data: unknown) => data); // the wire format asked for (assistants-version.ts)
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    // A client that far behind is not reading: the write in progress waits on its full socket and no error
    // event could reach it, so its connection is closed (the run or response goes on).
    const hangUp = () => (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing?.destroy();
    events.dropped?.addEventListener("abort", hangUp, { once: true });
    const keepAlive = setInterval(() => void stream.write(": keep-alive\n\n").catch(() => gone.abort()), KEEP_ALIVE_MS);
    try {
      for (let step = await events.next(gone.signal); !step.done; step = await events.next(gone.signal)) {
        await stream.writeSSE({ event: step.value.event, data: JSON.stringify(present(step.value.data)) });
      }
      if (!gone.signal.aborted) await stream.writeSSE(doneEvent === null ? { data: "[DONE]" } : { event: doneEvent, data: "[DONE]" });
    } catch (err) {
      if (!gone.signal.aborted) {
        const error = { message: `The event stream broke: ${err instanceof Error ? err.message : String(err)}`, type: "server_error", param: null, code: null };
        await stream.writeSSE({ event: "error", data: JSON.stringify(error) }).catch(() => undefined);
      }
    } finally {
      events.dropped?.removeEventListener("abort", hangUp);
      clearInterval(keepAlive);
      events.close();
    }
  });
}
