import { isPostgres, type Db } from "../store/db.js";
import type { SqlStatement } from "../store/sql.js";
import { guarded, log, NODE_NAME } from "../log.js";

/**
 * What a lease is on: a run (Assistants API) or a response (Responses API) being executed, a store being
 * indexed, a conversation (or thread) a response holds.
 */
export type WorkKind = "run" | "response" | "store" | "conversation";

/** Work that waits in a table as `queued` rows until a node takes it. */
export type QueuedKind = "run" | "response";
const QUEUED_TABLES: Record<QueuedKind, string> = { run: "runs", response: "responses" };

/**
 * Which server process executes a run or a response. Work is claimed, never assigned: the node that starts
 * executing takes the lease; a node that dies stops renewing its leases, and once they lapse any node may
 * take the work over (and end it: its model call died with the node). Never two executions of one run.
 *
 * One process on SQLite is the only node there is (LocalLeases). On PostgreSQL, leases are rows renewed by
 * their node (SharedLeases), timed by the database's clock so that nodes' clocks need not agree.
 */
export interface WorkLeases {
  /** This process's name in the cluster (host, pid and a random part). */
  readonly node: string;
  /** Whether other processes share the store: work may then be held elsewhere, and be orphaned. */
  readonly shared: boolean;
  /** Takes the lease unless another node holds a live one; true: this node may execute the work. */
  claim(kind: WorkKind, id: string): boolean;
  release(kind: WorkKind, id: string): void;
  /**
   * Hands the lease to `owner` (a `parkedOwner` name): held for queued work rather than by this node, as a
   * conversation is held for the response queued in it, until a node takes it over (`takeOver`). Every node's
   * renewal keeps parked leases alive, so one outlives the node that parked it.
   */
  park(kind: WorkKind, id: string, owner: string): void;
  /**
   * Takes the leases of up to `limit` queued runs or responses nobody holds, oldest first, and answers their
   * ids: the work queue's claim. Rows another node is claiming at the same moment are skipped, not waited for.
   */
  claimQueued(kind: QueuedKind, limit: number): string[];
  /** Takes the lease if it is free, lapsed, or parked for `owner`; true: it is this node's now. */
  takeOver(kind: WorkKind, id: string, owner: string): boolean;
  /** The node holding a live lease on the work (this one included), or null. */
  holder(kind: WorkKind, id: string): string | null;
  /** The ids of `kind` any node (this one included) holds a live lease on: what a sweep need not try to claim. */
  heldIds(kind: WorkKind): Set<string>;
  /**
   * Told when a lease this node holds was found taken by another node at renewal (this node stalled past its
   * lifetime, and the work was taken over): whatever of it still runs here must stop.
   */
  onLost(handler: (kind: WorkKind, id: string) => void): void;
  close(): void;
}

/** The owner of a lease parked for one queued piece of work (a response's id): no node's name looks like it. */
export function parkedOwner(workId: string): string {
  return `${PARKED}${workId}`;
}
const PARKED = "queued:";

let instances = 0;

/**
 * The node's name in leases and signals: the process's (the one its log lines carry); a second set of
 * services in one process (tests) gets a name of its own, being another node.
 */
function instanceName(): string {
  return ++instances === 1 ? NODE_NAME : `${NODE_NAME}.${instances}`;
}

export function createLeases(db: Db, ttlMs: number): WorkLeases {
  return isPostgres(db) ? new SharedLeases(db, ttlMs) : new LocalLeases();
}

/** One process: what it holds is what it executes. */
class LocalLeases implements WorkLeases {
  readonly node = instanceName();
  readonly shared = false;
  private readonly held = new Set<string>();

  claim(kind: WorkKind, id: string): boolean {
    const key = `${kind}/${id}`;
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  release(kind: WorkKind, id: string): void {
    this.held.delete(`${kind}/${id}`);
  }

  holder(kind: WorkKind, id: string): string | null {
    return this.held.has(`${kind}/${id}`) ? this.node : null;
  }

  park(): void {} // held until released: this process is the one that takes it over (it never queues for another)

  claimQueued(): string[] {
    return []; // one process queues only for itself: its own queue runs what it queued
  }

  takeOver(kind: WorkKind, id: string): boolean {
    return this.claim(kind, id);
  }

  heldIds(kind: WorkKind): Set<string> {
    const prefix = `${kind}/`;
    return new Set([...this.held].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
  }

  onLost(): void {} // nobody else can take one

  close(): void {}
}

/** The database's clock in milliseconds, so every node measures leases with the same one. */
const NOW_MS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/**
 * Leases as rows of `work_leases`, renewed together (one UPDATE for all this node holds) every third of
 * their lifetime. A claim is one INSERT … ON CONFLICT that succeeds only on a free or lapsed lease.
 */
class SharedLeases implements WorkLeases {
  readonly node = instanceName();
  readonly shared = true;
  private readonly claimStmt;
  private readonly releaseStmt;
  private readonly holderStmt;
  private readonly heldStmt;
  private readonly renewStmt;
  private readonly takeOverStmt;
  private readonly parkStmt;
  private readonly claimQueuedStmts: Record<QueuedKind, SqlStatement>;
  private readonly renewal: NodeJS.Timeout;
  /** What this node holds ("kind/id"), to find at renewal any lease another node took meanwhile. */
  private readonly held = new Set<string>();
  private readonly lostHandlers: ((kind: WorkKind, id: string) => void)[] = [];

  constructor(db: Db, private readonly ttlMs: number) {
    this.claimStmt = db.prepare(
      `INSERT INTO work_leases (kind, id, node, expires_at) VALUES (?, ?, ?, ${NOW_MS} + ?) ` +
        `ON CONFLICT (kind, id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at ` +
        `WHERE work_leases.expires_at < ${NOW_MS} RETURNING node`,
    ).pluck();
    this.releaseStmt = db.prepare("DELETE FROM work_leases WHERE kind = ? AND id = ? AND node = ?");
    this.holderStmt = db.prepare(`SELECT node FROM work_leases WHERE kind = ? AND id = ? AND expires_at >= ${NOW_MS}`).pluck();
    this.heldStmt = db.prepare(`SELECT id FROM work_leases WHERE kind = ? AND expires_at >= ${NOW_MS}`).pluck();
    this.takeOverStmt = db.prepare(
      `INSERT INTO work_leases (kind, id, node, expires_at) VALUES (?, ?, ?, ${NOW_MS} + ?) ` +
        `ON CONFLICT (kind, id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at ` +
        `WHERE work_leases.expires_at < ${NOW_MS} OR work_leases.node = ? RETURNING node`,
    ).pluck();
    // One statement: the oldest queued rows no live lease covers, locked FOR UPDATE SKIP LOCKED so that nodes
    // claiming at once take different rows instead of racing for the same ones, and their leases inserted.
    const claimQueued = (table: string) =>
      db.prepare(
        `WITH next AS (SELECT id FROM ${table} WHERE status = 'queued' AND NOT EXISTS ` +
          `(SELECT 1 FROM work_leases l WHERE l.kind = ? AND l.id = ${table}.id AND l.expires_at >= ${NOW_MS}) ` +
          `ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED) ` +
          `INSERT INTO work_leases (kind, id, node, expires_at) SELECT ?, id, ?, ${NOW_MS} + ? FROM next ` +
          `ON CONFLICT (kind, id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at ` +
          `WHERE work_leases.expires_at < ${NOW_MS} RETURNING id`,
      ).pluck();
    this.claimQueuedStmts = { run: claimQueued(QUEUED_TABLES.run), response: claimQueued(QUEUED_TABLES.response) };
    this.renewStmt = db.prepare(`UPDATE work_leases SET expires_at = ${NOW_MS} + ? WHERE node = ? OR node LIKE '${PARKED}%' RETURNING kind, id, node`);
    this.parkStmt = db.prepare("UPDATE work_leases SET node = ? WHERE kind = ? AND id = ? AND node = ?");
    this.renewal = setInterval(() => this.renew(), Math.max(50, Math.floor(ttlMs / 3)));
    this.renewal.unref();
  }

  claim(kind: WorkKind, id: string): boolean {
    const won = this.claimStmt.get(kind, id, this.node, this.ttlMs) !== undefined;
    if (won) this.held.add(`${kind}/${id}`);
    return won;
  }

  release(kind: WorkKind, id: string): void {
    this.held.delete(`${kind}/${id}`);
    this.releaseStmt.run(kind, id, this.node);
  }

  park(kind: WorkKind, id: string, owner: string): void {
    this.held.delete(`${kind}/${id}`);
    this.parkStmt.run(owner, kind, id, this.node);
  }

  claimQueued(kind: QueuedKind, limit: number): string[] {
    if (limit <= 0) return [];
    const ids = this.claimQueuedStmts[kind].all(kind, limit, kind, this.node, this.ttlMs) as string[];
    for (const id of ids) this.held.add(`${kind}/${id}`);
    return ids;
  }

  takeOver(kind: WorkKind, id: string, owner: string): boolean {
    const won = this.takeOverStmt.get(kind, id, this.node, this.ttlMs, owner) !== undefined;
    if (won) this.held.add(`${kind}/${id}`);
    return won;
  }

  onLost(handler: (kind: WorkKind, id: string) => void): void {
    this.lostHandlers.push(handler);
  }

  heldIds(kind: WorkKind): Set<string> {
    return new Set(this.heldStmt.all(kind) as string[]);
  }

  holder(kind: WorkKind, id: string): string | null {
    return (this.holderStmt.get(kind, id) as string | undefined) ?? null;
  }

  /** Keeps this node's leases alive. A database that cannot be reached now is tried again next time. */
  private renew(): void {
    let renewed: Set<string>;
    try {
      const rows = this.renewStmt.all(this.ttlMs, this.node) as { kind: string; id: string; node: string }[];
      renewed = new Set(rows.filter((r) => r.node === this.node).map((r) => `${r.kind}/${r.id}`));
    } catch (err) {
      log.error({ err }, "lease renewal failed");
      return;
    }
    for (const key of [...this.held]) {
      if (renewed.has(key)) continue;
      this.held.delete(key);
      const [kind, id] = [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)] as [WorkKind, string];
      log.warn({ kind, id }, "a lease of this node was taken by another node (this node stalled past its lifetime)");
      for (const handler of this.lostHandlers) guarded("stopping work whose lease was lost", () => handler(kind, id));
    }
  }

  close(): void {
    clearInterval(this.renewal);
  }
}
