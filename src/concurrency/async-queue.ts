/**
 * The one wake-queue in the code base: producers `push`, one consumer awaits `next()` (or iterates), and
 * `close()` ends the consumer once what is buffered has been read. Used for run streams, the PDF workers'
 * page events and the ingestor's read-ahead, so the "buffer, wake the waiting reader, stop on abort" loop is
 * written only here.
 *
 * `maxBuffered` bounds a consumer that never reads: the push that would exceed it closes the queue with
 * `QueueOverflow` instead (the consumer is dropped; the producer goes on, since `push` only reports false).
 */
export class QueueOverflow extends Error {
  constructor(readonly limit: number) {
    super(`the reader fell more than ${limit} items behind`);
  }
}

export interface CloseOptions {
  /**
   * With an error: the reader still gets what is buffered, then the error (a stream that failed part-way,
   * whose items before the failure are good). Default: the error comes at once, the buffer is dropped.
   */
  afterBuffered?: boolean;
}

export interface AsyncQueueOptions {
  /** Items buffered before the queue gives up on its reader; default unbounded. */
  maxBuffered?: number;
}

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiting: (() => void) | null = null;
  /** The signal the reader waits with (watch). */
  private watched: AbortSignal | undefined = undefined;
  private readonly wakeOnAbort = (): void => this.wake();
  private ended = false;
  private failure: unknown = undefined;
  private readonly limit: number;
  private readonly overflow = new AbortController();
  /**
   * Aborted when the reader is dropped for falling `maxBuffered` behind: a reader stuck elsewhere (a write to a
   * client that stopped reading) learns it without calling `next`.
   */
  readonly dropped: AbortSignal = this.overflow.signal;

  constructor(options: AsyncQueueOptions = {}) {
    this.limit = options.maxBuffered ?? Number.POSITIVE_INFINITY;
  }

  /** Items pushed and not yet read. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** True once `close()` was called (or the buffer overflowed); buffered items may still be read. */
  get closed(): boolean {
    return this.ended;
  }

  /** Adds an item; false when the queue is closed, or when this push overflowed it (and closed it). */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.size >= this.limit) {
      this.close(new QueueOverflow(this.limit));
      this.overflow.abort();
      return false;
    }
    this.items.push(item);
    this.wake();
    return true;
  }

  /**
   * No more items: the reader gets what is buffered, then the end. With `error`, `next` throws it instead:
   * at once (what is buffered is dropped), or after the buffer with `afterBuffered`.
   */
  close(error?: unknown, options: CloseOptions = {}): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (error !== undefined && !options.afterBuffered) this.discard();
    this.watch(undefined);
    this.wake();
  }

  /** The next item; `done` once closed and drained, or as soon as `signal` aborts. Throws a close error. */
  async next(signal?: AbortSignal): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (signal?.aborted) return { done: true, value: undefined };
      if (this.size > 0) return { done: false, value: this.take() };
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure;
        return { done: true, value: undefined };
      }
      await this.wait(signal);
    }
  }

  /** An item already buffered, taken without waiting; undefined when there is none (the end and errors are next's to tell). */
  ready(): T | undefined {
    return this.size > 0 ? this.take() : undefined;
  }

  async *iterate(signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const step = await this.next(signal);
      if (step.done) return;
      yield step.value;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next(), return: async () => ({ done: true, value: undefined }) };
  }

  private take(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T; // let the item go now, not when the array is compacted
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  private discard(): void {
    this.items.length = 0;
    this.head = 0;
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.();
  }

  private wait(signal?: AbortSignal): Promise<void> {
    this.watch(signal);
    return new Promise<void>((resolve) => (this.waiting = resolve));
  }

  /**
   * Wakes the reader when `signal` aborts. One listener per signal, not per wait: a stream's reader waits once
   * per item with the same signal, and adding and removing an AbortSignal listener each time showed in the
   * profile of a streamed run (once per token).
   */
  private watch(signal: AbortSignal | undefined): void {
    if (signal === this.watched) return;
    this.watched?.removeEventListener("abort", this.wakeOnAbort);
    this.watched = signal;
    signal?.addEventListener("abort", this.wakeOnAbort, { once: true });
  }
}
