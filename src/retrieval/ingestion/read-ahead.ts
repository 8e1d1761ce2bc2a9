/**
 * Read-ahead: once a file's last page is extracted, the PDF reader is free, so the next queued file's
 * extraction starts then and its pages are kept until its turn; its parse overlaps the running file's last
 * embeddings and index writes.
 */
import { AsyncQueue } from "../../concurrency/async-queue.js";
import type { ExtractedPage } from "../../files/extract-text.js";
import type { Job, JobMatch } from "./job-queue.js";

/** A job's pages being extracted ahead of its turn, and the means to stop that. */
export interface Prefetched {
  job: Job;
  abort: AbortController;
  pages: AsyncIterable<ExtractedPage>;
}

/** At most one read-ahead at a time: for the queue's head. */
export class ReadAhead {
  private current: Prefetched | null = null;

  /** Starts reading `job`'s pages (`read` them, stopped through its signal), unless a read-ahead runs already. */
  start(job: Job, read: (signal: AbortSignal) => AsyncIterable<ExtractedPage>): void {
    if (this.current) return;
    const abort = new AbortController();
    this.current = { job, abort, pages: readAhead(read(abort.signal)) };
  }

  /** Whether a read-ahead runs (for any job). */
  get active(): boolean {
    return this.current !== null;
  }

  /**
   * Hands over the read-ahead of `job`, if any. A read-ahead is always for the queue's head; should that have
   * changed, a stale one must not parse on: it is stopped.
   */
  take(job: Job): Prefetched | null {
    const prefetched = this.current;
    this.current = null;
    if (prefetched && prefetched.job !== job) prefetched.abort.abort(new Error("not the next file after all"));
    return prefetched?.job === job ? prefetched : null;
  }

  /**
   * Stops a matching read-ahead. When its turn comes the job is skipped, or, if its file was added again
   * meanwhile, fails as stopped and leaves the file to the re-add's own job.
   */
  stop(matches: JobMatch, reason: Error): void {
    if (this.current && matches(this.current.job.storeId, this.current.job.fileId)) this.current.abort.abort(reason);
  }

  close(reason: Error): void {
    this.current?.abort.abort(reason);
  }
}

/** `items`, then `after()` once they all went through (not when the iteration failed or stopped early). */
export async function* thenRun<T>(items: AsyncIterable<T>, after: () => void): AsyncGenerator<T> {
  yield* items;
  after();
}

/**
 * Starts reading `items` now, keeping what arrives until asked for; a failure is thrown where it happened,
 * after the items before it. The reading goes on until `items` ends: stop it through its own signal.
 */
export function readAhead<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  const kept = new AsyncQueue<T>();
  void (async () => {
    try {
      for await (const item of items) kept.push(item);
      kept.close();
    } catch (error) {
      kept.close(error, { afterBuffered: true });
    }
  })();
  return kept;
}
