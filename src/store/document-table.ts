import type { Statement } from "better-sqlite3";
import type { Db } from "./db.js";

/** A column kept beside the JSON body so it can be filtered on; its value is derived from the object. */
export interface IndexedColumn<T> {
  name: string;
  of(object: T): string | number | null;
}

export interface PageQuery {
  limit: number;
  order: "asc" | "desc";
  after?: string | undefined;
  before?: string | undefined;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

type Filter = Record<string, string | number | null>;

/**
 * List pages kept per table between writes. Every write clears them (writes go through this class only:
 * each table has one repository), so a cached page is never older than the table.
 */
const PAGE_CACHE_ENTRIES = 256;

/**
 * Stores wire objects as JSON rows. Each repository wraps one of these; this class owns the SQL
 * (prepared once), the cursor pagination and the column bookkeeping so repositories stay declarative.
 */
export class DocumentTable<T extends { id: string; created_at: number }> {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly pageCache = new Map<string, Page<string> | null>();
  private readonly cachedStmts = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    readonly table: string,
    private readonly columns: IndexedColumn<T>[] = [],
    /** The row key; the object's id unless one id can appear in several rows (a file in many stores). */
    private readonly keyOf: (object: T) => string = (object) => object.id,
  ) {
    const names = columns.map((c) => c.name);
    this.insertStmt = db.prepare(
      `INSERT INTO ${table} (id, created_at, ${names.map((n) => `${n}, `).join("")}body) ` +
        `VALUES (?, ?, ${names.map(() => "?, ").join("")}?)`,
    );
    this.updateStmt = db.prepare(`UPDATE ${table} SET ${names.map((n) => `${n} = ?, `).join("")}body = ? WHERE id = ?`);
    this.getStmt = db.prepare(`SELECT body FROM ${table} WHERE id = ?`).pluck();
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  }

  insert(object: T): T {
    this.pageCache.clear();
    this.insertStmt.run(this.keyOf(object), object.created_at, ...this.columnValues(object), JSON.stringify(object));
    return object;
  }

  /** Replaces the stored object (same id). */
  update(object: T): T {
    this.pageCache.clear();
    this.updateStmt.run(...this.columnValues(object), JSON.stringify(object), this.keyOf(object));
    return object;
  }

  /** By row key (the object id unless the table says otherwise). */
  get(id: string): T | null {
    const body = this.getStmt.get(id) as string | undefined;
    return body === undefined ? null : (JSON.parse(body) as T);
  }

  delete(id: string): boolean {
    this.pageCache.clear();
    return this.deleteStmt.run(id).changes > 0;
  }

  deleteWhere(filter: Filter): number {
    const { sql, values } = whereClause(filter);
    this.pageCache.clear();
    return this.db.prepare(`DELETE FROM ${this.table} WHERE ${sql}`).run(...values).changes;
  }

  /** Every object matching `filter`, oldest first. */
  all(filter: Filter = {}): T[] {
    const { sql, values } = whereClause(filter);
    const rows = this.db.prepare(`SELECT body FROM ${this.table} WHERE ${sql} ORDER BY seq ASC`).pluck().all(...values);
    return (rows as string[]).map((b) => JSON.parse(b) as T);
  }

  /**
   * One page in `order`. `after` continues past the cursor in that order; `before` gives the objects just
   * before it. Returns null when the cursor id is not in this list (another thread's message is no cursor).
   */
  page(filter: Filter, q: PageQuery): Page<T> | null {
    const page = this.pageBodies(filter, q);
    return page && { data: page.data.map((b) => JSON.parse(b) as T), has_more: page.has_more };
  }

  /** The stored JSON text of one object, for responses that need not look inside it. */
  getBody(id: string): string | null {
    return (this.getStmt.get(id) as string | undefined) ?? null;
  }

  /**
   * Like page(), as stored JSON text: list endpoints can answer without parsing and re-serialising each object.
   * Pages are cached until the next write to this table (clients poll message lists while runs stream).
   */
  pageBodies(filter: Filter, q: PageQuery): Page<string> | null {
    const key = JSON.stringify([filter, q.limit, q.order, q.after, q.before]);
    const cached = this.pageCache.get(key);
    if (cached !== undefined) return cached;
    const page = this.readPage(filter, q);
    if (this.pageCache.size >= PAGE_CACHE_ENTRIES) this.pageCache.clear();
    this.pageCache.set(key, page);
    return page;
  }

  private readPage(filter: Filter, q: PageQuery): Page<string> | null {
    const cursorId = q.after ?? q.before;
    const { sql, values } = whereClause(filter);
    let cursorSeq: number | null = null;
    if (cursorId !== undefined) {
      const seqSql = `SELECT seq FROM ${this.table} WHERE id = ? AND ${sql}`;
      cursorSeq = (this.statement(seqSql).get(cursorId, ...values) as number | undefined) ?? null;
      if (cursorSeq === null) return null;
    }
    // Walking "before" the cursor means walking away from it in the opposite direction, then flipping back.
    const walkAsc = (q.order === "asc") !== (q.before !== undefined);
    const cursorSql = cursorSeq === null ? "" : ` AND seq ${walkAsc ? ">" : "<"} ?`;
    const stmt = this.statement(`SELECT body FROM ${this.table} WHERE ${sql}${cursorSql} ORDER BY seq ${walkAsc ? "ASC" : "DESC"} LIMIT ?`);
    const params = cursorSeq === null ? [...values, q.limit + 1] : [...values, cursorSeq, q.limit + 1];
    const rows = stmt.all(...params) as string[];
    const has_more = rows.length > q.limit;
    const data = rows.slice(0, q.limit);
    if (q.before !== undefined) data.reverse();
    return { data, has_more };
  }

  /** A single-column query, prepared once per distinct SQL text. */
  private statement(sql: string): Statement {
    let stmt = this.cachedStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql).pluck();
      this.cachedStmts.set(sql, stmt);
    }
    return stmt;
  }

  private columnValues(object: T): (string | number | null)[] {
    return this.columns.map((c) => c.of(object));
  }
}

/** Column names come from code, never from requests; only values are bound. */
function whereClause(filter: Filter): { sql: string; values: (string | number)[] } {
  const parts: string[] = ["1 = 1"];
  const values: (string | number)[] = [];
  for (const [column, value] of Object.entries(filter)) {
    if (value === null) parts.push(`${column} IS NULL`);
    else {
      parts.push(`${column} = ?`);
      values.push(value);
    }
  }
  return { sql: parts.join(" AND "), values };
}
