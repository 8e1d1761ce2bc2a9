import { atomically, type Db } from "../store/db.js";
import type { RunEvents } from "./events.js";

/**
 * Run events are delivered only once what they describe is committed: an event emitted inside a transaction
 * waits here until `transaction` commits it (and is dropped if it rolls back), so a streaming client can never
 * see a run, step or message that a failed request did not keep. Outside a transaction, events go at once.
 */
export class Outbox {
  private readonly pending: { runId: string; event: string; data: unknown }[] = [];

  constructor(
    private readonly db: Db,
    private readonly bus: RunEvents,
  ) {}

  emit(runId: string, event: string, data: unknown): void {
    if (this.db.inTransaction) this.pending.push({ runId, event, data });
    else this.bus.emit(runId, event, data);
  }

  /** Whether anyone listens to the run's events now (a client streaming it). */
  isFollowed(runId: string): boolean {
    return this.bus.hasListeners(runId);
  }

  /** Runs `fn` in one transaction (nested calls join the outer one); its events are delivered after commit. */
  transaction<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction;
    const mark = this.pending.length;
    let result: T;
    try {
      result = atomically(this.db, fn);
    } catch (err) {
      this.pending.length = mark;
      throw err;
    }
    if (outermost) for (const e of this.pending.splice(0)) this.bus.emit(e.runId, e.event, e.data);
    return result;
  }
}
