import type { Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { Db } from "./db.js";
import { DocumentTable, ScopedStatement, type Page, type PageQuery } from "./document-table.js";
import { currentProject, DEFAULT_PROJECT } from "./project-scope.js";

export class ResponsesRepo extends DocumentTable<Response> {
  constructor(db: Db) {
    super(db, "responses", [{ name: "status", of: (r) => r.status }]);
  }

  /** Responses not in a final state, oldest first (at boot: what a crash left running). */
  unfinished(): Response[] {
    return [...this.all({ status: "in_progress" }), ...this.all({ status: "queued" })];
  }
}

/** An input item as a row: the wire item plus the response it belongs to (stripped before it is shown). */
type ItemRow = ResponseItem & { created_at: number; response_id: string };

/**
 * Each response's input items, in the order they were given. A row's key is "<response>/<item>": the same item
 * (an earlier output given back as input) can belong to several responses.
 */
export class ResponseItemsRepo {
  private readonly table: DocumentTable<ItemRow>;

  constructor(db: Db) {
    this.table = new DocumentTable<ItemRow>(db, "response_items", [{ name: "response_id", of: (r) => r.response_id }], (r) => `${r.response_id}/${r.id}`);
  }

  insertAll(responseId: string, createdAt: number, items: readonly ResponseItem[]): void {
    for (const item of items) this.table.insert({ ...item, created_at: createdAt, response_id: responseId });
  }

  all(responseId: string): ResponseItem[] {
    return this.table.all({ response_id: responseId }).map(toItem);
  }

  /** One cursor page; null when the cursor is not an item of this response. */
  page(responseId: string, q: PageQuery): Page<ResponseItem> | null {
    const key = (id: string | undefined) => (id === undefined ? undefined : `${responseId}/${id}`);
    const page = this.table.page({ response_id: responseId }, { ...q, after: key(q.after), before: key(q.before) });
    return page && { data: page.data.map(toItem), has_more: page.has_more };
  }

  deleteFor(responseId: string): void {
    this.table.deleteWhere({ response_id: responseId });
  }
}

function toItem(row: ItemRow): ResponseItem {
  const { created_at: _created, response_id: _response, ...item } = row;
  return item as ResponseItem;
}

/**
 * The events of background responses, by sequence number, so `GET /responses/{id}?stream=true&starting_after=N`
 * replays them after a disconnect or a restart. Events are JSON text as they were sent.
 */
export class ResponseEventsRepo {
  private readonly insertStmt;
  private readonly afterStmt: ScopedStatement;
  private readonly lastStmt: ScopedStatement;
  private readonly deleteStmt: ScopedStatement;

  constructor(db: Db) {
    this.insertStmt = db.prepare("INSERT INTO response_events (response_id, sequence_number, project, body) VALUES (?, ?, ?, ?)");
    this.afterStmt = new ScopedStatement(db, "SELECT body FROM response_events WHERE response_id = ? AND sequence_number > ?{project} ORDER BY sequence_number", true);
    this.lastStmt = new ScopedStatement(db, "SELECT MAX(sequence_number) FROM response_events WHERE response_id = ?{project}", true);
    this.deleteStmt = new ScopedStatement(db, "DELETE FROM response_events WHERE response_id = ?{project}");
  }

  append(responseId: string, event: ResponseEvent): void {
    this.insertStmt.run(responseId, event.sequence_number, currentProject() ?? DEFAULT_PROJECT, JSON.stringify(event));
  }

  /** The events after sequence number `after` (-1: all), in order. */
  after(responseId: string, after: number): ResponseEvent[] {
    return (this.afterStmt.all(responseId, after) as string[]).map((body) => JSON.parse(body) as ResponseEvent);
  }

  /** The last stored sequence number, or null when none was stored. */
  lastSequence(responseId: string): number | null {
    return (this.lastStmt.get(responseId) as number | null | undefined) ?? null;
  }

  deleteFor(responseId: string): void {
    this.deleteStmt.run(responseId);
  }
}
