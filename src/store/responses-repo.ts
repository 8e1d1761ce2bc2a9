import type { Response, ResponseItem } from "../api/responses-wire.js";
import type { Db } from "./db.js";
import { DocumentTable, type Page, type PageQuery } from "./document-table.js";

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
