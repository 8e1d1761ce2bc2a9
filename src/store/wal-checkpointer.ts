import type Database from "better-sqlite3";
import fs from "node:fs";
import { WorkerHost, type WorkerCrashed } from "../concurrency/worker-host.js";
import { log } from "../log.js";

/**
 * Checkpoints the SQLite write-ahead log on a worker thread, so the server's own connection never does.
 *
 * Why: SQLite checkpoints in whichever commit takes the log past 1,000 pages, inside that commit, on the event
 * loop: it copies the pages into the database file and syncs both files (fsync). A run writes ~30 pages, so
 * every ~30th run stalled the server for 1–4 ms (bench/run-overhead.ts: 1,130–1,200 runs/s with it, 1,430–1,450
 * with no checkpoints at all).
 *
 * The server's connection checkpoints itself only while no checkpointer thread is up: `wal_autocheckpoint` is
 * set to 0 when the thread says it is ready, and back to SQLite's default when it stops (idle, crashed, closed).
 * The thread is started by the first change to the log (read off the -wal file's size and time, never by a
 * query), so an idle server pays no thread. A thread that cannot start is not tried again: SQLite goes on
 * checkpointing as it always did.
 *
 * A log that keeps growing (writes that never pause long enough for a passive checkpoint to catch up, which it
 * must for the next commit to restart the log from its beginning) is handed back to SQLite past `maxLogPages`:
 * its own checkpoint in the next commit catches up (the thread copied most of it already), the log restarts,
 * and the thread takes over again. Under writes that never pause, that is one stall per `maxLogPages` instead of
 * one per 1,000 pages; `journal_size_limit` keeps the file itself no larger once the log restarts.
 */
export interface WalCheckpointerOptions {
  /** The database file; its log is `${file}-wal`. */
  file: string;
  /** How the thread opens the file (store/sqlite-open.ts connectionRecipe). */
  driver: string;
  pragmas: string[];
  /** How often the log's size is looked at. */
  intervalMs?: number;
  /** A thread with nothing to checkpoint for this long is stopped. */
  idleMs?: number;
  /** Pages in the log past which SQLite checkpoints in the server's commits again, until the thread catches up. */
  maxLogPages?: number;
}

type FromCheckpointer = { type: "ready" } | { type: "checkpointed"; log: number };
type ToCheckpointer = { type: "checkpoint" };

const WORKER_ENTRY = new URL("./wal-checkpoint-worker.mjs", import.meta.url);
/** SQLite's own default, restored whenever no thread checkpoints. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** 64 MiB of 4 KiB pages. */
const MAX_LOG_PAGES = 16_384;

export class WalCheckpointer {
  private readonly host: WorkerHost<FromCheckpointer, ToCheckpointer>;
  private readonly timer: NodeJS.Timeout;
  private readonly wal: string;
  /** The log's size and modification time when last looked at ("" before the first look). */
  private seen = "";
  private asked = false;
  private brokenStart = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Checkpoints the thread has run (what tests read to see it at work). */
  checkpoints = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly options: WalCheckpointerOptions,
  ) {
    this.wal = `${options.file}-wal`;
    this.host = new WorkerHost<FromCheckpointer, ToCheckpointer>({
      entry: WORKER_ENTRY,
      workerData: { file: options.file, driver: options.driver, pragmas: options.pragmas },
      isReady: (m) => m.type === "ready",
      onMessage: (m) => this.onMessage(m),
      onCrash: (err) => this.onCrash(err),
    });
    this.timer = setInterval(() => this.look(), options.intervalMs ?? 100);
    this.timer.unref();
    db.pragma(`journal_size_limit = ${(options.maxLogPages ?? MAX_LOG_PAGES) * (db.pragma("page_size", { simple: true }) as number)}`);
  }

  /**
   * Who checkpoints now: "thread" (a thread is up and ready), "sqlite" (none is: SQLite does, in the server's
   * commits), "given up" (a thread could not start; SQLite does from now on).
   */
  get state(): "thread" | "sqlite" | "given up" {
    if (this.brokenStart) return "given up";
    return this.host.ready ? "thread" : "sqlite";
  }

  /** Stops the thread (the server's connection checkpoints again, and on its own close). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.stopThread();
  }

  private look(): void {
    if (this.asked || this.brokenStart || this.closed) return;
    fs.stat(this.wal, (err, stat) => {
      if (err || this.closed) return;
      const seen = `${stat.size}:${stat.mtimeMs}`;
      const first = this.seen === "";
      if (seen === this.seen) return;
      this.seen = seen;
      if (!first) this.ask(); // what boot wrote is no reason to start a thread
    });
  }

  private ask(): void {
    try {
      this.asked = true;
      this.host.post({ type: "checkpoint" });
      this.host.idle(); // never keeps the process alive
    } catch (err) {
      this.asked = false;
      this.giveUp(err);
    }
  }

  private onMessage(m: FromCheckpointer): void {
    if (m.type === "ready") {
      if (!this.closed) this.autocheckpoint(0);
      return;
    }
    this.asked = false;
    this.checkpoints++;
    // A log this long never restarted: every checkpoint of the thread ended with new pages behind it.
    const runaway = m.log > (this.options.maxLogPages ?? MAX_LOG_PAGES);
    this.autocheckpoint(runaway ? SQLITE_AUTOCHECKPOINT_PAGES : 0);
    this.armIdle();
  }

  private onCrash(err: WorkerCrashed): void {
    this.asked = false;
    this.autocheckpoint(SQLITE_AUTOCHECKPOINT_PAGES);
    if (err.beforeReady) this.giveUp(err);
    else log.warn({ err }, "the SQLite checkpoint thread died; the next write starts another");
  }

  private giveUp(err: unknown): void {
    this.brokenStart = true;
    this.autocheckpoint(SQLITE_AUTOCHECKPOINT_PAGES);
    log.warn({ err }, "the SQLite checkpoint thread did not start; SQLite checkpoints in the server's own commits");
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stopThread(), this.options.idleMs ?? 30_000);
    this.idleTimer.unref();
  }

  private async stopThread(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    // SQLite checkpoints again before the thread is gone, so no write finds nobody doing it.
    this.autocheckpoint(SQLITE_AUTOCHECKPOINT_PAGES);
    this.asked = false;
    await this.host.stop();
  }

  private autocheckpoint(pages: number): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${pages}`);
  }
}
