import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { expectMatchesSchema, type SchemaName } from "../helpers/openapi.js";
import { rawError, sdkError, useTestApp, wireBody } from "../helpers/contract.js";
import type { TestApp } from "../helpers/test-app.js";

/** Every object is created in the same second, so only the server's tie-break can keep the order stable. */
const FROZEN = { clock: () => 1_700_000_000 };

interface PageParams {
  limit?: number;
  order?: "asc" | "desc";
  after?: string;
  before?: string;
}
type ListCall = ReturnType<OpenAI["beta"]["assistants"]["list"]> | ReturnType<OpenAI["beta"]["threads"]["messages"]["list"]>;

interface Listing {
  name: string;
  schema: SchemaName;
  /** Creates `n` objects in order and returns their ids, oldest first. */
  seed(t: TestApp, n: number): Promise<string[]>;
  /** The list URL (raw requests) for what `seed` made. */
  url(t: TestApp): string;
  /** Lists through the SDK. */
  list(t: TestApp, query: PageParams): ListCall;
}

const threadOf = new WeakMap<TestApp, string>();

const listings: Listing[] = [
  {
    name: "assistants",
    schema: "ListAssistantsResponse",
    seed: async (t, n) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await t.client.beta.assistants.create({ model: "gpt-4o", name: `a${i}` })).id);
      return ids;
    },
    url: () => "/v1/assistants",
    list: (t, query) => t.client.beta.assistants.list(query),
  },
  {
    name: "messages",
    schema: "ListMessagesResponse",
    seed: async (t, n) => {
      const thread = await t.client.beta.threads.create();
      threadOf.set(t, thread.id);
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        ids.push((await t.client.beta.threads.messages.create(thread.id, { role: "user", content: `m${i}` })).id);
      }
      return ids;
    },
    url: (t) => `/v1/threads/${threadOf.get(t)}/messages`,
    list: (t, query) => t.client.beta.threads.messages.list(threadOf.get(t)!, query),
  },
];

describe.each(listings)("pagination: $name", (listing) => {
  const app = useTestApp({}, FROZEN);

  async function page(query: PageParams) {
    const p = await listing.list(app(), query);
    const body = wireBody(p) as { data: { id: string; created_at: number }[]; first_id: string | null; last_id: string | null; has_more: boolean };
    expectMatchesSchema(body, listing.schema);
    return { ids: body.data.map((o) => o.id), body };
  }

  it("all objects share one created_at second", async () => {
    await listing.seed(app(), 3);
    const { body } = await page({});
    expect(new Set(body.data.map((o) => o.created_at))).toEqual(new Set([1_700_000_000]));
  });

  it("walks forward with limit 3 and `after` in ascending order", async () => {
    const ids = await listing.seed(app(), 7);
    const first = await page({ limit: 3, order: "asc" });
    expect(first.ids).toEqual(ids.slice(0, 3));
    expect(first.body).toMatchObject({ first_id: ids[0], last_id: ids[2], has_more: true });
    const second = await page({ limit: 3, order: "asc", after: ids[2] });
    expect(second.ids).toEqual(ids.slice(3, 6));
    expect(second.body).toMatchObject({ first_id: ids[3], last_id: ids[5], has_more: true });
    const third = await page({ limit: 3, order: "asc", after: ids[5] });
    expect(third.ids).toEqual(ids.slice(6));
    expect(third.body).toMatchObject({ first_id: ids[6], last_id: ids[6], has_more: false });
    const past = await page({ limit: 3, order: "asc", after: ids[6] });
    expect(past.ids).toEqual([]);
    expect(past.body.has_more).toBe(false);
  });

  it("walks forward with limit 3 and `after` in descending order (the default)", async () => {
    const ids = await listing.seed(app(), 7);
    const newest = [...ids].reverse();
    const first = await page({ limit: 3 });
    expect(first.ids).toEqual(newest.slice(0, 3));
    expect(first.body).toMatchObject({ first_id: newest[0], last_id: newest[2], has_more: true });
    const second = await page({ limit: 3, order: "desc", after: newest[2] });
    expect(second.ids).toEqual(newest.slice(3, 6));
    const third = await page({ limit: 3, order: "desc", after: newest[5] });
    expect(third.ids).toEqual(newest.slice(6));
    expect(third.body.has_more).toBe(false);
  });

  it("the SDK's auto-pagination visits every object once, in order, three pages of at most 3", async () => {
    const t = app();
    const ids = await listing.seed(t, 7);
    for (const order of ["asc", "desc"] as const) {
      const seen: string[] = [];
      for await (const item of listing.list(t, { limit: 3, order })) seen.push(item.id);
      expect(seen).toEqual(order === "asc" ? ids : [...ids].reverse());

      const sizes: number[] = [];
      for await (const p of (await listing.list(t, { limit: 3, order })).iterPages()) sizes.push(p.getPaginatedItems().length);
      expect(sizes).toEqual([3, 3, 1]);
    }
  });

  it("pages back with `before`", async () => {
    const ids = await listing.seed(app(), 7);
    const asc = await page({ limit: 3, order: "asc", before: ids[5] });
    expect(asc.ids).toEqual(ids.slice(2, 5));
    expect(asc.body).toMatchObject({ first_id: ids[2], last_id: ids[4], has_more: true });
    const start = await page({ limit: 3, order: "asc", before: ids[2] });
    expect(start.ids).toEqual(ids.slice(0, 2));
    expect(start.body.has_more).toBe(false);

    const newest = [...ids].reverse();
    const desc = await page({ limit: 3, order: "desc", before: newest[5] });
    expect(desc.ids).toEqual(newest.slice(2, 5));
    expect(desc.body.has_more).toBe(true);
    const top = await page({ limit: 3, order: "desc", before: newest[0] });
    expect(top.ids).toEqual([]);
    expect(top.body).toMatchObject({ has_more: false });
  });

  it("gives the same order on every call", async () => {
    await listing.seed(app(), 7);
    const once = await page({ limit: 100, order: "asc" });
    const again = await page({ limit: 100, order: "asc" });
    expect(again.ids).toEqual(once.ids);
    const desc = await page({ limit: 100 });
    expect(desc.ids).toEqual([...once.ids].reverse());
  });

  it("the default page is 20", async () => {
    const ids = await listing.seed(app(), 21);
    const first = await page({});
    expect(first.ids).toHaveLength(20);
    expect(first.body.has_more).toBe(true);
    expect(first.ids.at(-1)).toBe(ids[1]);
  });

  it("refuses an unknown cursor with 400", async () => {
    const t = app();
    await listing.seed(t, 2);
    for (const cursor of ["after", "before"] as const) {
      const err = await sdkError(listing.list(t, { [cursor]: "asst_unknownunknownunknown" }), OpenAI.BadRequestError);
      expect(err.error.param).toBe(cursor);
    }
  });

  it.each(["0", "101", "abc", "-1", "2.5"])("refuses limit=%s with 400 param limit", async (limit) => {
    const t = app();
    await listing.seed(t, 1);
    const error = await rawError(await t.request(`${listing.url(t)}?limit=${limit}`), 400);
    expect(error.param).toBe("limit");
  });

  it("refuses an unknown order with 400 param order", async () => {
    const t = app();
    await listing.seed(t, 1);
    const error = await rawError(await t.request(`${listing.url(t)}?order=sideways`), 400);
    expect(error.param).toBe("order");
  });

  it("accepts limit 1 and 100", async () => {
    const ids = await listing.seed(app(), 2);
    expect((await page({ limit: 1, order: "asc" })).ids).toEqual([ids[0]]);
    expect((await page({ limit: 100, order: "asc" })).ids).toEqual(ids);
  });
});

describe("pagination: cursors belong to their list", () => {
  const app = useTestApp({}, FROZEN);

  it("a message of another thread is no cursor for this thread's messages", async () => {
    const { client } = app();
    const mine = await client.beta.threads.create({ messages: [{ role: "user", content: "a" }] });
    const other = await client.beta.threads.create({ messages: [{ role: "user", content: "b" }] });
    const [foreign] = (await client.beta.threads.messages.list(other.id)).data;
    for (const cursor of ["after", "before"] as const) {
      const err = await sdkError(client.beta.threads.messages.list(mine.id, { [cursor]: foreign!.id }), OpenAI.BadRequestError);
      expect(err.error.param).toBe(cursor);
    }
  });

  it("an assistant id is no cursor for files", async () => {
    const { client } = app();
    const assistant = await client.beta.assistants.create({ model: "gpt-4o" });
    const err = await sdkError(client.files.list({ after: assistant.id }), OpenAI.BadRequestError);
    expect(err.error.param).toBe("after");
  });
});
