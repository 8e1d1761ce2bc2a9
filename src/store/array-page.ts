import type { Page, PageQuery } from "./document-table.js";

/**
 * One page of a list held in memory (oldest first), with DocumentTable.page's cursor rules: `after` continues
 * past the cursor in `order`, `before` gives the objects just before it. Null when the cursor is not in the
 * list, which list endpoints answer with a 400 (http/list.ts). For small lists worked out per request (API
 * keys, an assistant's v1 files); stored objects page in SQL.
 */
export function pageOfArray<T extends { id: string }>(oldestFirst: readonly T[], q: PageQuery): Page<T> | null {
  const ordered = q.order === "asc" ? [...oldestFirst] : [...oldestFirst].reverse();
  const cursor = q.after ?? q.before;
  if (cursor === undefined) return { data: ordered.slice(0, q.limit), has_more: ordered.length > q.limit };
  const at = ordered.findIndex((row) => row.id === cursor);
  if (at === -1) return null;
  if (q.after !== undefined) {
    const rest = ordered.slice(at + 1);
    return { data: rest.slice(0, q.limit), has_more: rest.length > q.limit };
  }
  const start = Math.max(0, at - q.limit);
  return { data: ordered.slice(start, at), has_more: start > 0 };
}
