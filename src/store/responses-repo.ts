import type { Conversation, Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { Db } from "./db.js";
import { DocumentTable, ScopedStatement, type Page, type PageQuery } from "./document-table.js";
import { currentProject, DEFAULT_PROJECT } from "./project-scope.js";

export class ResponsesRepo extends DocumentTable<Response> {
  private readonly unfinishedIdsStmt;
  private readonly queuedIdsStmt;
  private readonly saveRequestStmt;
  private readonly requestStmt;
  private readonly deleteRequestStmt;

  constructor(db: Db) {
    super(db, "responses", [{ name: "status", of: (r) => r.status }]);
    this.unfinishedIdsStmt = new ScopedStatement(db, "SELECT id FROM responses WHERE status IN ('in_progress', 'queued'){project} ORDER BY seq", true);
    this.queuedIdsStmt = new ScopedStatement(db, "SELECT id FROM responses WHERE status = 'queued'{project} ORDER BY seq", true);
    this.saveRequestStmt = db.prepare("INSERT INTO response_requests (response_id, body) VALUES (?, ?)");
    this.requestStmt = db.prepare("SELECT body FROM response_requests WHERE response_id = ?").pluck();
    this.deleteRequestStmt = db.prepare("DELETE FROM response_requests WHERE response_id = ?");
  }

  /** The ids of `unfinished` (sweeps that act on few of them read no bodies). */
  unfinishedIds(): string[] {
    return this.unfinishedIdsStmt.all() as string[];
  }

  /** The ids of queued responses, oldest first (left for a worker node: no sweep ends them). */
  queuedIds(): string[] {
    return this.queuedIdsStmt.all() as string[];
  }

  /** The request a queued response is to be executed from (responses/response-queue.ts); kept until it ends. */
  saveRequest(responseId: string, request: unknown): void {
    this.saveRequestStmt.run(responseId, JSON.stringify(request));
  }

  request<T>(responseId: string): T | null {
    const body = this.requestStmt.get(responseId) as string | undefined;
    return body === undefined ? null : (JSON.parse(body) as T);
  }

  deleteRequest(responseId: string): void {
    this.deleteRequestStmt.run(responseId);
  }

  /** Responses not in a final state, oldest first (at boot: what a crash left running). */
  unfinished(): Response[] {
    return [...this.all({ status: "in_progress" }), ...this.all({ status: "queued" })];
  }
}

export class ConversationsRepo extends DocumentTable<Conversation> {
  constructor(db: Db) {
    super(db, "conversations");
  }
}

/**
 * An item as a row: the wire item plus its owner (a response, or a conversation), stripped before it is shown.
 * Rows written before conversations name their response `response_id`.
 */
type ItemRow = ResponseItem & { created_at: number; owner_id: string; response_id?: string };

/**
 * Items owned by something, in the order they were added: each response's input items, each conversation's
 * items. A row's key is "<owner>/<item>": the same item (an earlier output given back as input) can belong to
 * several owners.
 */
export class OwnedItemsRepo {
  private readonly table: DocumentTable<ItemRow>;

  constructor(db: Db, tableName: "response_items" | "conversation_items", private readonly ownerColumn: "response_id" | "conversation_id") {
    this.table = new DocumentTable<ItemRow>(db, tableName, [{ name: ownerColumn, of: (r) => r.owner_id, fixed: true }], (r) => `${r.owner_id}/${r.id}`);
  }

  insertAll(ownerId: string, createdAt: number, items: readonly ResponseItem[]): void {
    for (const item of items) this.table.insert({ ...item, created_at: createdAt, owner_id: ownerId });
  }

  all(ownerId: string): ResponseItem[] {
    return this.table.all({ [this.ownerColumn]: ownerId }).map(toItem);
  }

  get(ownerId: string, itemId: string): ResponseItem | null {
    const row = this.table.get(`${ownerId}/${itemId}`); // the key names the owner: no other owner's item matches
    return row && toItem(row);
  }

  /** One cursor page; null when the cursor is not an item of this owner. */
  page(ownerId: string, q: PageQuery): Page<ResponseItem> | null {
    const key = (id: string | undefined) => (id === undefined ? undefined : `${ownerId}/${id}`);
    const page = this.table.page({ [this.ownerColumn]: ownerId }, { ...q, after: key(q.after), before: key(q.before) });
    return page && { data: page.data.map(toItem), has_more: page.has_more };
  }

  delete(ownerId: string, itemId: string): boolean {
    return this.table.delete(`${ownerId}/${itemId}`);
  }

  deleteFor(ownerId: string): void {
    this.table.deleteWhere({ [this.ownerColumn]: ownerId });
  }
}

function toItem(row: ItemRow): ResponseItem {
  const { created_at: _created, owner_id: _owner, response_id: _legacyOwner, ...item } = row;
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
