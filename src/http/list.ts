import type { Context } from "hono";
import type { z } from "zod";
import { ListQuery } from "../api/common.js";
import type { ListPage } from "../api/wire.js";
import { badRequest } from "../errors.js";
import type { Page, PageQuery } from "../store/document-table.js";
import { parseWith } from "./validation.js";

/** Parsed list queries by schema, then by query string: clients page through the same few again and again. */
const parsedQueries = new WeakMap<z.ZodObject, Map<string, object>>();
const PARSED_QUERIES_KEPT = 256;

/**
 * Parses `limit`, `order`, `after`, `before` (plus any extra filters in `schema`). The result is frozen: one
 * parse serves every request with the same query string (a poll re-reads the same page), so it is read-only.
 */
export function listQuery<S extends z.ZodObject>(c: Context, schema: S = ListQuery as unknown as S): z.output<S> & PageQuery {
  const url = c.req.url;
  const at = url.indexOf("?");
  const text = at < 0 ? "" : url.slice(at);
  let parsed = parsedQueries.get(schema);
  if (parsed === undefined) parsedQueries.set(schema, (parsed = new Map()));
  let q = parsed.get(text);
  if (q === undefined) {
    q = Object.freeze(parseWith(schema, c.req.query())); // a bad query throws and is not kept
    if (parsed.size >= PARSED_QUERIES_KEPT) parsed.clear();
    parsed.set(text, q);
  }
  return q as z.output<S> & PageQuery;
}

/** Wraps a page in the list envelope; a null page means the cursor named no object of this list. */
export function listPage<T extends { id: string }>(page: Page<T> | null, q: PageQuery): ListPage<T> {
  if (page === null) {
    const param = q.after !== undefined ? "after" : "before";
    throw badRequest(`Invalid '${param}': no object with id '${q.after ?? q.before}' in this list.`, param);
  }
  return {
    object: "list",
    data: page.data,
    first_id: page.data[0]?.id ?? null,
    last_id: page.data.at(-1)?.id ?? null,
    has_more: page.has_more,
  };
}

/**
 * The list envelope around stored JSON text, as a response body: the hot list endpoints skip a parse and a
 * stringify per object (only the first and last are parsed, for their ids).
 */
export function listPageJson(page: Page<string> | null, q: PageQuery): string {
  if (page === null) return JSON.stringify(listPage(null, q));
  let text = envelopes.get(page);
  if (text === undefined) {
    const idOf = (body: string | undefined): string | null => (body === undefined ? null : (JSON.parse(body) as { id: string }).id);
    text = `{"object":"list","data":[${page.data.join(",")}],"first_id":${JSON.stringify(idOf(page.data[0]))},"last_id":${JSON.stringify(idOf(page.data.at(-1)))},"has_more":${page.has_more}}`;
    envelopes.set(page, text);
  }
  return text;
}

/**
 * Envelopes of pages already answered. The tables keep a page (the same object) until their next write
 * (document-table.ts), so the envelope of a page a client polls is built once, not per request.
 */
const envelopes = new WeakMap<Page<string>, string>();

/** Sends JSON text that is already serialised. */
export function jsonText(c: Context, text: string): Response {
  return c.body(text, 200, { "content-type": "application/json" });
}
