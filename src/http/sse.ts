import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunEvent, RunEventListener, RunEvents } from "../runs/events.js";

/** Events after which a run's stream has nothing more to say (the client acts next, or the run is over). */
const FINAL_EVENTS = new Set([
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelled",
  "thread.run.expired",
  "thread.run.requires_action",
]);

const KEEP_ALIVE_MS = 10_000;

/**
 * Buffers a run's events from the moment it is subscribed (before the run is even announced) until the
 * SSE response drains them. Losing the client only unsubscribes: the run goes on.
 */
export class EventChannel {
  private readonly buffer: RunEvent[] = [];
  private wake: (() => void) | null = null;
  private runId: string | null = null;

  /** `present` maps each event to what this client may see (e.g. steps without file_search content). */
  constructor(private readonly present: (event: RunEvent) => RunEvent = (event) => event) {}

  readonly listener: RunEventListener = (event) => {
    if (this.runId === null && event.event === "thread.run.created") this.runId = (event.data as { id: string }).id;
    this.buffer.push(this.present(event));
    this.wake?.();
  };

  /** Events that do not come from the bus (thread.created) go in the same order. */
  push(event: RunEvent): void {
    this.listener(event);
  }

  async *drain(signal: AbortSignal): AsyncGenerator<RunEvent> {
    const onAbort = (): void => this.wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = this.buffer.shift();
        if (next) {
          yield next;
          if (FINAL_EVENTS.has(next.event)) return;
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  detach(events: RunEvents, runId: string | null = this.runId): void {
    if (runId !== null) events.unsubscribe(runId, this.listener);
  }
}

/** Writes a channel as Assistants-API server-sent events, ending with `event: done` / `data: [DONE]`. */
export function sseResponse(c: Context, channel: EventChannel, events: RunEvents, runId: string): Response {
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    const keepAlive = setInterval(() => void stream.write(": keep-alive\n\n").catch(() => gone.abort()), KEEP_ALIVE_MS);
    try {
      for await (const event of channel.drain(gone.signal)) {
        await stream.writeSSE({ event: event.event, data: JSON.stringify(event.data) });
      }
      if (!gone.signal.aborted) await stream.writeSSE({ event: "done", data: "[DONE]" });
    } catch (err) {
      if (!gone.signal.aborted) {
        const error = { message: `The event stream broke: ${err instanceof Error ? err.message : String(err)}`, type: "server_error", param: null, code: null };
        await stream.writeSSE({ event: "error", data: JSON.stringify(error) }).catch(() => undefined);
      }
    } finally {
      clearInterval(keepAlive);
      channel.detach(events, runId);
    }
  });
}

