import type { Run } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

const ACTIVE = "('queued', 'in_progress', 'requires_action', 'cancelling')";

export class RunsRepo extends DocumentTable<Run> {
  private readonly activeStmt;
  private readonly unfinishedStmt;

  constructor(db: Db) {
    super(db, "runs", [
      { name: "thread_id", of: (r) => r.thread_id },
      { name: "status", of: (r) => r.status },
    ]);
    this.activeStmt = db.prepare(`SELECT body FROM runs WHERE thread_id = ? AND status IN ${ACTIVE} LIMIT 1`).pluck();
    this.unfinishedStmt = db.prepare(`SELECT body FROM runs WHERE status IN ${ACTIVE} ORDER BY seq`).pluck();
  }

  getInThread(threadId: string, runId: string): Run | null {
    const run = this.get(runId);
    return run && run.thread_id === threadId ? run : null;
  }

  /** The run that currently holds the thread (at most one does). */
  activeForThread(threadId: string): Run | null {
    const body = this.activeStmt.get(threadId) as string | undefined;
    return body === undefined ? null : (JSON.parse(body) as Run);
  }

  /** Every run not in a terminal state, oldest first (used at boot to end what a crash left behind). */
  unfinished(): Run[] {
    return (this.unfinishedStmt.all() as string[]).map((b) => JSON.parse(b) as Run);
  }
}
