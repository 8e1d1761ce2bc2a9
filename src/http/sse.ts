import type { Context } from "hono";
import type { ServerResponse } from "node:http";
import type { RunEvent } from "../runs/events.js";
import { edgeBindings, type Presenter } from "./edge-bindings.js";

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

/** Where a session's text goes: the Response body's stream, or the socket itself. */
interface Sink {
  /** Throws when the client is gone. */
  write(text: string): void;
  close(): void;
}

/**
 * Writes an event stream as server-sent events, ending with `[DONE]`. The client going away closes the stream
 * (the run or response goes on); a stream that fails ends with `event: error`; a client that stops reading is
 * disconnected once it falls too far behind (runs/run-stream.ts MAX_BUFFERED_EVENTS).
 *
 * Every `data` is one line of JSON, so an event is two lines and needs none of hono's streamSSE machinery (a
 * TransformStream, a second stream over it and an awaited write per event), which cost a streamed run on the
 * embedded engine a measurable share of its tokens/s.
 *
 * Two ways out, with the same events, frames and ending:
 * - over a socket the edge hands the answer's ServerResponse to `takeOverSocket`, and each chunk is written to
 *   it as soon as it is built. Through the Response body, the node adapter's read loop, a byte stream and a
 *   TextEncoder stood between an event and the socket: 26 of the 54 µs from a first token's delta to its
 *   `write` (scratch timestamps, median of 550 streamed runs);
 * - otherwise (in process, `app.request`) the Response body, a stream that takes the next event when its reader
 *   asks for one (no high-water mark: nothing is taken before someone reads, so the socket path can take over).
 */
export function sseResponse(c: Context, events: EventSource, options: SseOptions = {}): Response {
  // A client that far behind is not reading: the write in progress waits on its full socket and no error
  // event could reach it, so its connection is closed (the run or response goes on).
  const hangUp = () => (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing?.destroy();
  const session = new SseSession(events, {
    present: edgeBindings(c).present ?? ((data: unknown) => data), // the wire format asked for (assistants-version.ts)
    doneEvent: options.doneEvent === undefined ? "done" : options.doneEvent,
    keepAliveMs: options.keepAliveMs ?? KEEP_ALIVE_MS,
    hangUp,
  });
  const encoder = new TextEncoder();
  let sink: Sink;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        sink = { write: (text) => controller.enqueue(encoder.encode(text)), close: () => controller.close() };
      },
      async pull(controller) {
        session.begin(sink); // the first read starts the session here (unless the socket path took it over)
        const chunk = await session.nextChunk();
        if (chunk === null) return;
        if (chunk.last) session.end(chunk.text);
        else controller.enqueue(encoder.encode(chunk.text));
      },
      cancel() {
        session.leave();
      },
    },
    { highWaterMark: 0 },
  );
  c.header("Transfer-Encoding", "chunked");
  c.header("Content-Type", "text/event-stream");
  c.header("Cache-Control", "no-cache");
  c.header("Connection", "keep-alive");
  const res = c.newResponse(body);
  socketWriters.set(res, (outgoing, answer) => void session.writeTo(outgoing, answer));
  return res;
}

const socketWriters = new WeakMap<Response, (outgoing: ServerResponse, answer: Response) => void>();

/**
 * For the edge, once an answer is final (its CORS marks set): an event stream from `sseResponse` starts writing
 * itself to `outgoing`, with `answer`'s status and headers, and true is returned (the adapter must then write
 * nothing); any other answer: false.
 */
export function takeOverSocket(answer: Response, outgoing: ServerResponse): boolean {
  const write = socketWriters.get(answer);
  if (write === undefined) return false;
  socketWriters.delete(answer);
  write(outgoing, answer);
  return true;
}

interface SessionOptions {
  present: Presenter;
  doneEvent: string | null;
  keepAliveMs: number;
  hangUp(): void;
}

/** One client's event stream: its chunks, keep-alives, and its one ending, whichever way out it takes. */
class SseSession {
  private sink: Sink | null = null;
  private ended = false;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Aborted when the client went away: stops waiting for events. */
  private readonly gone = new AbortController();

  constructor(
    private readonly events: EventSource,
    private readonly options: SessionOptions,
  ) {}

  /** Starts writing to `sink` (once: later calls keep the first sink): keep-alives, and hanging up on a dropped reader. */
  begin(sink: Sink): void {
    if (this.sink !== null || this.ended) return;
    this.sink = sink;
    this.events.dropped?.addEventListener("abort", this.options.hangUp, { once: true });
    this.keepAlive = setInterval(() => {
      try {
        sink.write(": keep-alive\n\n");
      } catch {
        this.leave(); // the stream is gone: stop writing, and let go of the source
      }
    }, this.options.keepAliveMs);
  }

  /**
   * The next chunk to write, waiting for an event; `last` ends the stream (`[DONE]`, or the error a broken
   * source ends with). Null: the stream ended meanwhile, nothing is to be written.
   */
  async nextChunk(): Promise<{ text: string; last: boolean } | null> {
    try {
      const step = await this.events.next(this.gone.signal);
      if (this.ended) return null;
      if (step.done) return { text: frame(this.options.doneEvent, "[DONE]"), last: true };
      // Events emitted together (a run's created/queued/in_progress, a message's created/in_progress and its
      // first delta) go out as one chunk: one socket write, and one read for the client, instead of one each.
      const frames = new ChunkFrames(this.options.present);
      let text = frames.of(step.value);
      while (text.length < MAX_CHUNK_CHARS) {
        const more = this.events.ready?.();
        if (more === undefined) break;
        text += frames.of(more);
      }
      return { text, last: false };
    } catch (err) {
      if (this.ended) return null;
      const error = { message: `The event stream broke: ${err instanceof Error ? err.message : String(err)}`, type: "server_error", param: null, code: null };
      return { text: frame("error", JSON.stringify(error)), last: true };
    }
  }

  /** Ends the stream, writing `last` first unless the client is gone. */
  end(last = ""): void {
    if (this.ended) return;
    this.ended = true;
    this.events.dropped?.removeEventListener("abort", this.options.hangUp);
    clearInterval(this.keepAlive);
    this.events.close();
    const sink = this.sink;
    if (sink === null) return;
    try {
      if (last !== "" && !this.gone.signal.aborted) sink.write(last);
      sink.close();
    } catch {} // the client left meanwhile: the stream is already cancelled
  }

  /** The client went away: no more writes, and the source is let go. */
  leave(): void {
    this.gone.abort();
    this.end();
  }

  /** Writes the whole stream to the socket, chunk by chunk, waiting while the client's socket is full. */
  async writeTo(outgoing: ServerResponse, answer: Response): Promise<void> {
    const gone = () => this.leave();
    outgoing.once("close", gone);
    if (outgoing.destroyed) return this.leave(); // gone before its answer began: its "close" has passed already
    try {
      outgoing.writeHead(answer.status, Object.fromEntries(answer.headers));
      outgoing.flushHeaders();
      this.begin({
        write: (text) => {
          if (outgoing.destroyed) throw new Error("the client is gone");
          outgoing.write(text);
        },
        close: () => outgoing.end(),
      });
      for (;;) {
        const chunk = await this.nextChunk();
        if (chunk === null) return;
        if (chunk.last) return this.end(chunk.text);
        if (outgoing.destroyed) return this.leave();
        if (!outgoing.write(chunk.text)) await drained(outgoing);
      }
    } catch {
      this.leave();
      outgoing.destroy();
    } finally {
      outgoing.off("close", gone);
    }
  }
}

/** Resolves once the socket takes writes again, or is gone. */
function drained(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off("drain", done);
      outgoing.off("close", done);
      resolve();
    };
    outgoing.on("drain", done);
    outgoing.on("close", done);
  });
}

const NOTHING_FRAMED = Symbol("nothing framed yet");

/**
 * The frames of one chunk's events. An object announced twice in a row (a run created then queued, a step or a
 * message created then in_progress) is presented and serialized once: they are the same object, emitted
 * together, unchanged in between.
 */
class ChunkFrames {
  private lastData: unknown = NOTHING_FRAMED;
  private lastJson = "";

  constructor(private readonly present: Presenter) {}

  of(event: RunEvent): string {
    if (event.data !== this.lastData) {
      this.lastData = event.data;
      this.lastJson = JSON.stringify(this.present(event.data));
    }
    return frame(event.event, this.lastJson);
  }
}

/** One server-sent event; `data` is one line (JSON never holds a raw line break). An empty name writes no `event:`. */
function frame(event: string | null, data: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}
