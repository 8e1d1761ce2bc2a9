/** A prepared statement: better-sqlite3's, or PostgreSQL's behind the same calls (postgres/pg-db.ts). */
export interface SqlStatement {
  /** Rows become their first column's value. */
  pluck(toggle?: boolean): this;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/**
 * The database every repository is written against: synchronous, as better-sqlite3 is (a better-sqlite3
 * Database is one as it is). PostgreSQL implements it in postgres/pg-db.ts. Statements use `?` placeholders and
 * SQL both databases understand; the few that differ ask `isPostgres`.
 */
export interface Db {
  /** Set on PostgreSQL only. */
  readonly dialect?: "postgres";
  prepare(sql: string): SqlStatement;
  transaction<A extends never[], R>(fn: (...args: A) => R): (...args: A) => R;
  readonly inTransaction: boolean;
  exec(sql: string): unknown;
  close(): unknown;
}

export function isPostgres(db: Db): boolean {
  return db.dialect === "postgres";
}

const runners = new WeakMap<Db, (fn: () => unknown) => unknown>();

/** Told how the outermost transaction it wrote in ended (DocumentTable, keeping what it wrote for later reads). */
export interface CommitFollower {
  committed(): void;
  rolledBack(): void;
}

const followers = new WeakMap<Db, Set<CommitFollower>>();
/** How many `atomically` calls are in progress per database (nested ones are savepoints). */
const depths = new WeakMap<Db, number>();

/**
 * Asks to be told when the transaction in progress (run by `atomically`) commits or rolls back. False where no
 * `atomically` runs it (a transaction begun some other way, whose end nobody would report): don't count on it.
 * A rolled back savepoint tells every follower `rolledBack`, including those whose own writes were outside it:
 * what they forget is only what they would have remembered, never something the database does not hold.
 */
export function followCommit(db: Db, follower: CommitFollower): boolean {
  if (!depths.get(db)) return false;
  let set = followers.get(db);
  if (!set) followers.set(db, (set = new Set()));
  set.add(follower);
  return true;
}

/**
 * Runs `fn` in one transaction (a savepoint inside an outer one): committed when it returns, rolled back when
 * it throws. The same as `db.transaction(fn)()`, without making a transaction function per call: better-sqlite3
 * builds four wrappers and defines their properties for each (2 % of a run's CPU, four transactions a run).
 * Every transaction on SQLite goes through here, so here is where followers (followCommit) learn how it ended.
 */
export function atomically<T>(db: Db, fn: () => T): T {
  let runner = runners.get(db);
  if (!runner) runners.set(db, (runner = db.transaction((f: () => unknown) => f()) as unknown as (fn: () => unknown) => unknown));
  let result: T;
  // Counted only within a transaction this function began: inside one begun some other way, a commit of ours
  // is a savepoint's, and how the outer one ends nobody would report.
  const depth = depths.get(db) ?? 0;
  const counted = depth > 0 || !db.inTransaction;
  if (counted) depths.set(db, depth + 1);
  try {
    result = runner(fn) as T;
  } catch (err) {
    tell(db, "rolledBack");
    throw err;
  } finally {
    if (counted) depths.set(db, depths.get(db)! - 1);
  }
  if (!db.inTransaction) tell(db, "committed");
  return result;
}

function tell(db: Db, outcome: keyof CommitFollower): void {
  const set = followers.get(db);
  if (set === undefined || set.size === 0) return;
  const told = [...set];
  set.clear();
  for (const follower of told) follower[outcome]();
}
