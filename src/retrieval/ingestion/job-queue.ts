/**
 * One ingestor lane's queue: jobs waiting their turn, the job being indexed, and the one the drain loop holds
 * back until its group is written. A lane indexes one file at a time, and a store's files stay on one lane while
 * it has work of the store (ingestor.ts): LanceDB wants one writer per table.
 */

/**
 * `fresh`: the file was never in this store's index (skips the delete-before-index, a table scan). `project`:
 * the store's, which the job's work runs in (null: its row is gone; the job is skipped).
 */
export type Job = { storeId: string; fileId: string; fresh: boolean; project: string | null };

/** The job being indexed, with the means to stop it (its file was cancelled or removed meanwhile). */
export type Running = Job & { abort: AbortController };

/** Selects the jobs of one store, or of one file in it (see Ingestor.stop). */
export type JobMatch = (storeId: string, fileId: string) => boolean;

export class JobQueue {
  private readonly jobs: Job[] = [];
  /** The job being indexed. */
  running: Running | null = null;
  /** The job the drain loop holds back until the group writes are done. */
  waiting: Job | null = null;

  get length(): number {
    return this.jobs.length;
  }

  /** The next job, left in the queue (its extraction may start ahead of its turn). */
  get head(): Job | undefined {
    return this.jobs[0];
  }

  /**
   * Queues a job for `fileId` of `storeId`. It is fresh only when asked and when no other job for the same file
   * is queued or running, nor `held` (its last chunks waiting for a group write): each may yet write chunks.
   */
  add(storeId: string, fileId: string, fresh: boolean, held: boolean, project: string | null): void {
    const same = (j: Job) => j.storeId === storeId && j.fileId === fileId;
    const busy = (this.running !== null && same(this.running)) || held;
    this.jobs.push({ storeId, fileId, fresh: fresh && !busy && !this.jobs.some(same), project });
  }

  shift(): Job | undefined {
    return this.jobs.shift();
  }

  clear(): void {
    this.jobs.length = 0;
  }

  /** Stops the running job if it matches (its PDF at the next page; what it wrote is removed). */
  stopRunning(matches: JobMatch, reason: Error): void {
    if (this.running && matches(this.running.storeId, this.running.fileId)) this.running.abort.abort(reason);
  }

  /**
   * Whether a job of `storeId` is queued, held back, or running for a file other than those in `settling`:
   * that job, not the settling files, finishes the store's deferred index work.
   */
  hasMoreFor(storeId: string, settling: ReadonlySet<string>): boolean {
    const running = this.running !== null && this.running.storeId === storeId && !settling.has(this.running.fileId);
    return running || this.waiting?.storeId === storeId || this.jobs.some((j) => j.storeId === storeId);
  }
}
