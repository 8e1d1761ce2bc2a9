import { AsyncQueue } from "../concurrency/async-queue.js";
import type { RunEvent, RunEvents } from "./events.js";

/** Events after which a run's stream has nothing more to say (the client acts next, or the run is over). */
const FINAL_EVENTS = new Set([
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelled",
  "thread.run.expired",
  "thread.run.requires_action",
]);

/**
 * Events a client that never reads may leave unread before it is dropped (its stream ends with an error; the
 * run goes on). A long answer is a few thousand deltas, which a reading client drains as they come.
 */
export const MAX_BUFFERED_EVENTS = 10_000;

/**
 * One client's view of one run: the run's events from before it is announced until its final event, already
 * presented for that client (`include[]`). Returned by RunService when a request streams; the HTTP layer only
 * writes it. `close()` (the client left) unsubscribes and never touches the run.
 */
export class RunStream implements AsyncIterable<RunEvent> {
  private readonly queue: AsyncQueue<RunEvent>;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: RunEvents,
    private readonly present: (event: RunEvent) => RunEvent,
    maxBuffered = MAX_BUFFERED_EVENTS,
  ) {
    this.queue = new AsyncQueue({ maxBuffered });
  }

  /** Subscribes to the run's events; called before anything about the run is emitted. */
  follow(runId: string): this {
    this.unsubscribe = this.bus.subscribe(runId, (event) => this.push(event));
    return this;
  }

  /** Adds an event in order (also one that is not the run's own, such as `thread.created`). */
  push(event: RunEvent): void {
    if (!this.queue.push(this.present(event))) this.detach(); // closed, or the reader fell too far behind
    else if (FINAL_EVENTS.has(event.event)) this.close();
  }

  /** Aborted when the reader fell too far behind and was dropped (the run goes on). */
  get dropped(): AbortSignal {
    return this.queue.dropped;
  }

  /** The next event; done after the final one, or when `signal` aborts. Throws QueueOverflow for a lagging reader. */
  next(signal?: AbortSignal): Promise<IteratorResult<RunEvent, undefined>> {
    return this.queue.next(signal);
  }

  /** An event already buffered, without waiting (undefined: none yet). */
  ready(): RunEvent | undefined {
    return this.queue.ready();
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent, undefined> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Ends the stream after what is buffered; the run goes on. */
  close(): void {
    this.detach();
    this.queue.close();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
