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

/**
 * Runs `fn` in one transaction (a savepoint inside an outer one): committed when it returns, rolled back when
 * it throws. The same as `db.transaction(fn)()`, without making a transaction function per call: better-sqlite3
 * builds four wrappers and defines their properties for each (2 % of a run's CPU, four transactions a run).
 */
export function atomically<T>(db: Db, fn: () => T): T {
  let runner = runners.get(db);
  if (!runner) runners.set(db, (runner = db.transaction((f: () => unknown) => f()) as unknown as (fn: () => unknown) => unknown));
  return runner(fn) as T;
}
