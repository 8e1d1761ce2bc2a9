import { isPostgres, type Db, type SqlStatement } from "./db.js";
import { followCommit, type CommitFollower } from "./sql.js";
import { BodyCache } from "./body-cache.js";
import { currentProject, DEFAULT_PROJECT } from "./project-scope.js";

/** A column kept beside the JSON body so it can be filtered on; its value is derived from the object. */
export interface IndexedColumn<T> {
  name: string;
  of(object: T): string | number | null;
  /**
   * Set when the row is inserted and never changed after (a message's thread): updates leave it out. SQLite
   * rewrites the index entries of every column an UPDATE sets, even to the value it had, so each such column
   * cost an index page more per written row (measured: 2.0 WAL frames per update instead of 1.0, 16.5 µs
   * instead of 10.2).
   */
  fixed?: true;
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
 * One query prepared twice: for the current project (`AND project = ?` where `sql` has `{project}`, the
 * project bound after the caller's parameters) and for all projects (outside any scope). Repositories write
 * their own queries over object tables with it, so those are isolated like DocumentTable's.
 */
export class ScopedStatement {
  private readonly scoped: SqlStatement;
  private readonly unscoped: SqlStatement;

  constructor(db: Db, sql: string, pluck = false) {
    this.scoped = db.prepare(sql.replaceAll("{project}", " AND project = ?"));
    this.unscoped = db.prepare(sql.replaceAll("{project}", ""));
    if (pluck) {
      this.scoped.pluck();
      this.unscoped.pluck();
    }
  }

  get(...params: unknown[]): unknown {
    const project = currentProject();
    return project === undefined ? this.unscoped.get(...params) : this.scoped.get(...params, project);
  }

  all(...params: unknown[]): unknown[] {
    const project = currentProject();
    return project === undefined ? this.unscoped.all(...params) : this.scoped.all(...params, project);
  }

  run(...params: unknown[]): { changes: number } {
    const project = currentProject();
    return project === undefined ? this.unscoped.run(...params) : this.scoped.run(...params, project);
  }
}

/**
 * List pages kept per table between writes. Every write clears them (writes go through this class only:
 * each table has one repository), so a cached page is never older than the table. Not on PostgreSQL: other
 * server processes write to the same tables, and this process would not see them.
 */
const PAGE_CACHE_ENTRIES = 256;
/** Per table: what BodyCache may hold of recently read objects' JSON text (in UTF-16 code units). */
const BODY_CACHE_CHARS = 4 * 1024 * 1024;

/**
 * Stores wire objects as JSON rows. Each repository wraps one of these; this class owns the SQL
 * (prepared once), the cursor pagination and the column bookkeeping so repositories stay declarative.
 *
 * Every row belongs to a project (its `project` column): inserts stamp the current one (project-scope.ts),
 * and reads, updates and deletes see only its rows, as if the others did not exist (a cursor naming another
 * project's object is no cursor). Outside any project scope they see all rows.
 */
export class DocumentTable<T extends { id: string; created_at: number }> implements CommitFollower {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly projectStmt;
  private readonly pageCache = new Map<string, Page<string> | null>();
  private readonly cachesPages: boolean;
  private readonly bodies: BodyCache | null;
  private readonly cachedStmts = new Map<string, SqlStatement>();
  private readonly conditionalUpdates = new Map<string, ScopedStatement>();
  /**
   * Whether what this table writes is kept for reads (see `remember`): set by the tables whose objects are read
   * back by id right after being written (a thread by the run created on it, a run by its own completion and its
   * client's polls). A run's messages and steps are read by thread or run, not by id: kept, their text would only
   * fill the heap.
   */
  protected keepsWrites = false;
  /** Bodies written in the transaction in progress, for the body cache once it commits (see `remember`). */
  private readonly written = new Map<string, { project: string | undefined; body: string }>();

  constructor(
    private readonly db: Db,
    readonly table: string,
    private readonly columns: IndexedColumn<T>[] = [],
    /** The row key; the object's id unless one id can appear in several rows (a file in many stores). */
    private readonly keyOf: (object: T) => string = (object) => object.id,
  ) {
    this.cachesPages = !isPostgres(db);
    this.bodies = this.cachesPages ? new BodyCache(BODY_CACHE_CHARS) : null;
    const names = columns.map((c) => c.name);
    this.insertStmt = db.prepare(
      `INSERT INTO ${table} (id, created_at, project, ${names.map((n) => `${n}, `).join("")}body) ` +
        `VALUES (?, ?, ?, ${names.map(() => "?, ").join("")}?)`,
    );
    this.updateStmt = new ScopedStatement(db, `UPDATE ${table} SET ${this.assignments()}body = ? WHERE id = ?{project}`);
    this.getStmt = new ScopedStatement(db, `SELECT body FROM ${table} WHERE id = ?{project}`, true);
    this.deleteStmt = new ScopedStatement(db, `DELETE FROM ${table} WHERE id = ?{project}`);
    this.projectStmt = db.prepare(`SELECT project FROM ${table} WHERE id = ?`).pluck();
  }

  /** Stores a new object in the current project (DEFAULT_PROJECT outside any scope). */
  insert(object: T): T {
    const key = this.keyOf(object);
    this.changed(key);
    const project = currentProject() ?? DEFAULT_PROJECT;
    const body = JSON.stringify(object);
    this.insertStmt.run(key, object.created_at, project, ...this.columnValues(object), body);
    this.remember(key, project, body);
    return object;
  }

  /** Replaces the stored object (same id); its project stays. */
  update(object: T): T {
    const key = this.keyOf(object);
    const project = this.knownProject(key);
    this.changed(key);
    const body = JSON.stringify(object);
    if (this.updateStmt.run(...this.changeableValues(object), body, key).changes > 0) this.remember(key, project, body);
    return object;
  }

  /**
   * Replaces the stored object only while its `column` still holds `expected` (compare-and-set): false when
   * another writer changed it first (another server node, on a shared store). The caller reads again.
   */
  updateIf(object: T, column: string, expected: string | number): boolean {
    if (!this.columns.some((c) => c.name === column)) throw new Error(`${this.table}.${column} is not a column`);
    const key = this.keyOf(object);
    const project = this.knownProject(key);
    this.changed(key);
    let stmt = this.conditionalUpdates.get(column);
    if (!stmt) {
      stmt = new ScopedStatement(this.db, `UPDATE ${this.table} SET ${this.assignments()}body = ? WHERE id = ? AND ${column} = ?{project}`);
      this.conditionalUpdates.set(column, stmt);
    }
    const body = JSON.stringify(object);
    const updated = stmt.run(...this.changeableValues(object), body, key, expected).changes > 0;
    if (updated) this.remember(key, project, body);
    return updated;
  }

  /** By row key (the object id unless the table says otherwise). */
  get(id: string): T | null {
    const body = this.readBody(id);
    return body === null ? null : (JSON.parse(body) as T);
  }

  delete(id: string): boolean {
    this.changed(id);
    return this.deleteStmt.run(id).changes > 0;
  }

  /**
   * The project a row belongs to, whatever the current scope (null: no such row). For work that must enter
   * its object's project itself: a run executing, a file being indexed.
   */
  projectOf(id: string): string | null {
    return (this.projectStmt.get(id) as string | undefined) ?? null;
  }

  deleteWhere(filter: Filter): number {
    const { sql, values } = whereClause(filter);
    this.changed(null);
    return this.statement(`DELETE FROM ${this.table} WHERE ${sql}`, false).run(...values).changes;
  }

  /** Every object matching `filter`, oldest first. */
  all(filter: Filter = {}): T[] {
    const { sql, values } = whereClause(filter);
    const rows = this.statement(`SELECT body FROM ${this.table} WHERE ${sql} ORDER BY seq ASC`).all(...values);
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
    return this.readBody(id);
  }

  private readBody(id: string): string | null {
    const project = currentProject();
    const cached = this.bodies?.get(id, project);
    if (cached !== undefined) return cached;
    const body = this.getStmt.get(id) as string | undefined;
    if (body === undefined) return null;
    if (!this.db.inTransaction) this.bodies?.keep(id, project, body);
    return body;
  }

  /** Before a write: cached pages, and the object's cached body (every body, when `id` is null), are dropped. */
  private changed(id: string | null): void {
    this.pageCache.clear();
    if (id === null) {
      this.bodies?.clear();
      this.written.clear();
    } else {
      this.bodies?.drop(id);
      this.written.delete(id);
    }
  }

  /**
   * Keeps a body this table just wrote for the reads that follow (a client polling the run it created, a run
   * reading its thread): at once outside a transaction, else once it commits (forgotten if it rolls back).
   * Measured, the first read of a row after the write that made it was a cold SQLite read of 8-18 µs.
   */
  private remember(key: string, project: string | undefined, body: string): void {
    if (this.bodies === null || !this.keepsWrites) return;
    if (!this.db.inTransaction) {
      this.bodies.keep(key, project, body);
      return;
    }
    // A transaction not begun by `atomically` (none in this code) reports no end: what it wrote is not kept.
    if (followCommit(this.db, this)) this.written.set(key, { project, body });
  }

  /**
   * The project of the row an update is about to write: the scope's (an update in a scope only finds rows of
   * its project), else what the cache knows of the row (a row's project never changes), else unknown.
   */
  private knownProject(key: string): string | undefined {
    return currentProject() ?? this.written.get(key)?.project ?? this.bodies?.projectOf(key);
  }

  /** The transaction this table wrote in committed: what it wrote is what the table now holds. */
  committed(): void {
    for (const [key, { project, body }] of this.written) this.bodies?.keep(key, project, body);
    this.written.clear();
  }

  rolledBack(): void {
    this.written.clear();
  }

  /**
   * Like page(), as stored JSON text: list endpoints can answer without parsing and re-serialising each object.
   * Pages are cached until the next write to this table (clients poll message lists while runs stream).
   */
  pageBodies(filter: Filter, q: PageQuery): Page<string> | null {
    if (!this.cachesPages) return this.readPage(filter, q);
    const key = JSON.stringify([currentProject() ?? null, filter, q.limit, q.order, q.after, q.before]);
    const cached = this.pageCache.get(key);
    if (cached !== undefined) return cached;
    const page = this.readPage(filter, q);
    if (this.db.inTransaction) return page; // a write before it in the transaction may yet be rolled back
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

  /** A query prepared once per distinct SQL text (single-column reads: a filter's columns are few, so are the texts). */
  private statement(sql: string, pluck = true): SqlStatement {
    let stmt = this.cachedStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (pluck) stmt.pluck();
      this.cachedStmts.set(sql, stmt);
    }
    return stmt;
  }

  private columnValues(object: T): (string | number | null)[] {
    return this.columns.map((c) => c.of(object));
  }

  /** `col = ?, ` for each column an update sets (the ones not fixed at insert). */
  private assignments(): string {
    return this.columns
      .filter((c) => !c.fixed)
      .map((c) => `${c.name} = ?, `)
      .join("");
  }

  private changeableValues(object: T): (string | number | null)[] {
    const values: (string | number | null)[] = [];
    for (const c of this.columns) if (!c.fixed) values.push(c.of(object));
    return values;
  }
}

/** Column names come from code, never from requests; only values are bound. The current project comes first. */
function whereClause(filter: Filter): { sql: string; values: (string | number)[] } {
  const project = currentProject();
  const parts: string[] = [project === undefined ? "1 = 1" : "project = ?"];
  const values: (string | number)[] = project === undefined ? [] : [project];
  for (const [column, value] of Object.entries(filter)) {
    if (value === null) parts.push(`${column} IS NULL`);
    else {
      parts.push(`${column} = ?`);
      values.push(value);
    }
  }
  return { sql: parts.join(" AND "), values };
}
