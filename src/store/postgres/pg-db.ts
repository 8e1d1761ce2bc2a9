import type { Db, SqlStatement } from "../sql.js";
import { SyncWorkerCall } from "./sync-worker-call.js";

interface QueryResult {
  rows: unknown[][];
  fields: string[];
  rowCount: number;
}

/**
 * A statement waiting this long for PostgreSQL fails (a lock held by a stuck node, a database gone away); the
 * server ends it a little earlier itself (statement_timeout). Short, because the event loop waits meanwhile:
 * it must stay well below CLUSTER_LEASE_SECONDS, or a stalled node would miss its lease renewals.
 */
const CALL_TIMEOUT_MS = 10_000;
const SERVER_STATEMENT_TIMEOUT_MS = 9_000;

/**
 * PostgreSQL behind the store's synchronous `Db` interface, the one better-sqlite3 gives: `prepare` with
 * get/all/run/pluck, `transaction`, `exec`. Each statement is one round trip to the connection's worker
 * thread (sync-worker-call.ts); the repositories and services above are the same for both databases.
 *
 * Statements are written once in the SQL both understand, with `?` placeholders, which become `$1…$n` here.
 */
export class PgDb implements Db {
  readonly dialect = "postgres";
  private readonly worker: SyncWorkerCall;
  private depth = 0;

  constructor(url: string, schema: string | null) {
    this.worker = new SyncWorkerCall(new URL("./pg-worker.mjs", import.meta.url), { url, schema, statementTimeoutMs: SERVER_STATEMENT_TIMEOUT_MS }, CALL_TIMEOUT_MS);
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare(sql: string): SqlStatement {
    return new PgStatement(this, numberedPlaceholders(sql));
  }

  /** Several statements, no parameters (schema changes). */
  exec(sql: string): this {
    this.worker.call({ op: "exec", text: sql });
    return this;
  }

  query(text: string, values: unknown[]): QueryResult {
    return this.worker.call<QueryResult>({ op: "query", text, values: values.map(toParameter) });
  }

  /**
   * Like better-sqlite3's: the returned function runs `fn` in a transaction, committed when it returns and
   * rolled back when it throws; a nested call is a savepoint inside the outer one.
   */
  transaction<F extends (...args: never[]) => unknown>(fn: F): F {
    const wrapped = (...args: Parameters<F>): ReturnType<F> => {
      const savepoint = this.depth === 0 ? null : `sp${this.depth}`;
      this.exec(savepoint === null ? "BEGIN" : `SAVEPOINT ${savepoint}`);
      this.depth++;
      let result: ReturnType<F>;
      try {
        result = fn(...args) as ReturnType<F>;
      } catch (err) {
        this.depth--;
        try {
          this.exec(savepoint === null ? "ROLLBACK" : `ROLLBACK TO SAVEPOINT ${savepoint}`);
        } catch {
          // The connection was lost: the worker refuses the rest until the outermost ROLLBACK (pg-worker.mjs).
        }
        throw err;
      }
      this.depth--;
      this.exec(savepoint === null ? "COMMIT" : `RELEASE SAVEPOINT ${savepoint}`);
      return result;
    };
    return wrapped as unknown as F;
  }

  async close(): Promise<void> {
    try {
      this.worker.call({ op: "end" });
    } catch {
      // already gone
    }
    await this.worker.close();
  }
}

class PgStatement implements SqlStatement {
  private plucked = false;

  constructor(
    private readonly db: PgDb,
    private readonly text: string,
  ) {}

  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }

  get(...params: unknown[]): unknown {
    const result = this.db.query(this.text, params);
    return result.rows.length === 0 ? undefined : this.row(result.rows[0]!, result.fields);
  }

  all(...params: unknown[]): unknown[] {
    const result = this.db.query(this.text, params);
    return result.rows.map((r) => this.row(r, result.fields));
  }

  run(...params: unknown[]): { changes: number } {
    return { changes: this.db.query(this.text, params).rowCount };
  }

  private row(values: unknown[], fields: string[]): unknown {
    if (this.plucked) return values[0];
    const row: Record<string, unknown> = {};
    fields.forEach((name, i) => (row[name] = values[i]));
    return row;
  }
}

/** `?` → `$1`, `$2`, … outside quoted text (our statements never put a `?` in a literal, but a quote is skipped anyway). */
export function numberedPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") out += `$${++n}`;
    else out += ch;
  }
  return out;
}

/** Booleans as SQLite stores them (0/1), so columns and comparisons mean the same in both databases. */
function toParameter(value: unknown): unknown {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}
