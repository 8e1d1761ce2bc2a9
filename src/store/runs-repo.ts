import type { ReasoningEffort } from "../api/common.js";
import type { Run } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable, ScopedStatement } from "./document-table.js";

const ACTIVE = "('queued', 'in_progress', 'requires_action', 'cancelling')";

/** Run settings that are not part of the wire object. */
export interface RunOptions {
  additional_instructions: string | null;
  /** The run's reasoning effort (its own, else its assistant's); absent on runs stored before it was kept. */
  reasoning_effort?: ReasoningEffort | null;
  /** `include[]` values requested at creation (file_search result content). */
  include: string[];
  /** Files the run's code_interpreter calls wrote, cited in its final message (file_path annotations). */
  generated_files?: { file_id: string; name: string }[];
}

/** How many runs' thread ids `bodyInThread` remembers (about 100 bytes each). */
const THREADS_OF_RUNS_KEPT = 4096;

export class RunsRepo extends DocumentTable<Run> {
  private readonly activeStmt;
  private readonly unfinishedStmt;
  private readonly unfinishedIdsStmt;
  private readonly setOptionsStmt;
  private readonly getOptionsStmt;
  private readonly deleteOptionsStmt;
  protected override keepsWrites = true; // read back by its completion, and polled by its client
  /** Run id → its thread id, for `bodyInThread` (both never change). */
  private readonly threadOfRun = new Map<string, string>();

  constructor(db: Db) {
    super(db, "runs", [
      { name: "thread_id", of: (r) => r.thread_id, fixed: true },
      { name: "status", of: (r) => r.status },
    ]);
    this.activeStmt = new ScopedStatement(db, `SELECT body FROM runs WHERE thread_id = ? AND status IN ${ACTIVE}{project} LIMIT 1`, true);
    this.unfinishedStmt = new ScopedStatement(db, `SELECT body FROM runs WHERE status IN ${ACTIVE}{project} ORDER BY seq`, true);
    this.unfinishedIdsStmt = new ScopedStatement(db, `SELECT id, status FROM runs WHERE status IN ${ACTIVE}{project} ORDER BY seq`);
    this.setOptionsStmt = db.prepare("INSERT INTO run_options (run_id, body) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET body = excluded.body");
    this.getOptionsStmt = db.prepare("SELECT body FROM run_options WHERE run_id = ?").pluck();
    this.deleteOptionsStmt = new ScopedStatement(db, "DELETE FROM run_options WHERE run_id IN (SELECT id FROM runs WHERE thread_id = ?{project})");
  }

  getInThread(threadId: string, runId: string): Run | null {
    const run = this.get(runId);
    return run && run.thread_id === threadId ? run : null;
  }

  /** The same as its stored JSON text (what a GET sends as it is). */
  bodyInThread(threadId: string, runId: string): string | null {
    const body = this.getBody(runId);
    if (body === null) return null;
    // A run's thread never changes: parsing a whole run body to read it again on every poll was a tenth of a
    // cached GET of a run (a CPU profile of 60,000: 2.9 of 30 µs).
    let thread = this.threadOfRun.get(runId);
    if (thread === undefined) {
      thread = (JSON.parse(body) as Run).thread_id;
      if (this.threadOfRun.size >= THREADS_OF_RUNS_KEPT) this.threadOfRun.clear();
      this.threadOfRun.set(runId, thread);
    }
    return thread === threadId ? body : null;
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

  /** The same runs as `unfinished`, as ids and statuses only (sweeps that act on few of them read no bodies). */
  unfinishedIds(): { id: string; status: Run["status"] }[] {
    return this.unfinishedIdsStmt.all() as { id: string; status: Run["status"] }[];
  }

  setOptions(runId: string, options: RunOptions): void {
    this.setOptionsStmt.run(runId, JSON.stringify(options));
  }

  /**
   * Stores a new run's options; none when they are all defaults, which `options` answers for a run without a
   * row. Most runs have no options: their creation's commit then writes two b-tree pages and a statement fewer.
   */
  createOptions(runId: string, options: RunOptions): void {
    const defaults = options.additional_instructions === null && !options.reasoning_effort && options.include.length === 0 && !options.generated_files?.length;
    if (!defaults) this.setOptions(runId, options);
  }

  options(runId: string): RunOptions {
    const body = this.getOptionsStmt.get(runId) as string | undefined;
    return body === undefined ? { additional_instructions: null, reasoning_effort: null, include: [] } : (JSON.parse(body) as RunOptions);
  }

  /** Removes a thread's runs and their options (thread deletion). */
  deleteForThread(threadId: string): void {
    this.deleteOptionsStmt.run(threadId);
    this.deleteWhere({ thread_id: threadId });
  }
}
