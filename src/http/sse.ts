import type { Context } from "hono";
import type { ServerResponse } from "node:http";
import type { RunEvent } from "../runs/events.js";
import { edgeBindings } from "./edge-bindings.js";

const KEEP_ALIVE_MS = 10_000;
/** Buffered events are joined into one chunk up to about this many characters. */
const MAX_CHUNK_CHARS = 64 * 1024;

/** What the SSE writer needs of a run stream (runs/run-stream.ts): events until the last, and a way to leave. */
export interface EventSource {
  next(signal?: AbortSignal): Promise<IteratorResult<RunEvent, undefined>>;
  /** An event already buffered, without waiting (undefined: none yet); a source without it is read one event at a time. */
  ready?(): RunEvent | undefined;
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
  /** How often a `: keep-alive` comment is written while no event comes (tests shorten it). */
  keepAliveMs?: number;
}

/**
 * Writes an event stream as server-sent events, ending with `[DONE]`. The client going away closes the stream
 * (the run or response goes on); a stream that fails ends with `event: error`; a client that stops reading is
 * disconnected once it falls too far behind (runs/run-stream.ts MAX_BUFFERED_EVENTS).
 *
 * The body is a ReadableStream that takes the next event when the socket asks for more (pull), formatted here:
 * every `data` is one line of JSON, so an event is two lines and needs none of hono's streamSSE machinery (a
 * TransformStream, a second stream over it and an awaited write per event), which cost a streamed run on the
 * embedded engine a measurable share of its tokens/s.
 */
export function sseResponse(c: Context, events: EventSource, options: SseOptions = {}): Response {
  const doneEvent = options.doneEvent === undefined ? "done" : options.doneEvent;
  const present = edgeBindings(c).present ?? ((data: unknown) => data); // the wire format asked for (assistants-version.ts)
  const encoder = new TextEncoder();
  const gone = new AbortController();
  // A client that far behind is not reading: the write in progress waits on its full socket and no error
  // event could reach it, so its connection is closed (the run or response goes on).
  const hangUp = () => (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing?.destroy();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  const end = (controller?: ReadableStreamDefaultController<Uint8Array>, last = ""): void => {
    if (ended) return;
    ended = true;
    events.dropped?.removeEventListener("abort", hangUp);
    clearInterval(keepAlive);
    events.close();
    if (!controller) return;
    try {
      if (last !== "" && !gone.signal.aborted) controller.enqueue(encoder.encode(last));
      controller.close();
    } catch {} // the client left meanwhile: the stream is already cancelled
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      events.dropped?.addEventListener("abort", hangUp, { once: true });
      keepAlive = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": keep-alive\n\n"));
        } catch {
          gone.abort(); // the stream is gone: stop writing, and let go of the source
          end();
        }
      }, options.keepAliveMs ?? KEEP_ALIVE_MS);
    },
    async pull(controller) {
      try {
        const step = await events.next(gone.signal);
        if (step.done) return end(controller, frame(doneEvent, "[DONE]"));
        if (ended) return;
        // Events emitted together (a run's created/queued/in_progress, a message's created/in_progress and its
        // first delta) go out as one chunk: one socket write, and one read for the client, instead of one each.
        let text = eventFrame(step.value, present);
        while (text.length < MAX_CHUNK_CHARS) {
          const more = events.ready?.();
          if (more === undefined) break;
          text += eventFrame(more, present);
        }
        controller.enqueue(encoder.encode(text));
      } catch (err) {
        const error = { message: `The event stream broke: ${err instanceof Error ? err.message : String(err)}`, type: "server_error", param: null, code: null };
        end(controller, frame("error", JSON.stringify(error)));
      }
    },
    cancel() {
      gone.abort();
      end();
    },
  });
  c.header("Transfer-Encoding", "chunked");
  c.header("Content-Type", "text/event-stream");
  c.header("Cache-Control", "no-cache");
  c.header("Connection", "keep-alive");
  return c.newResponse(body);
}

function eventFrame(event: RunEvent, present: (data: unknown) => unknown): string {
  return frame(event.event, JSON.stringify(present(event.data)));
}

/** One server-sent event; `data` is one line (JSON never holds a raw line break). An empty name writes no `event:`. */
function frame(event: string | null, data: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}
