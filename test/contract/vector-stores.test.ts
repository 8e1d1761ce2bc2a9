import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { rawError, sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { DOCS, expectStore, pdf, expectStoreFile, search, settle, storeOf, uploadAll, useVsApp } from "../helpers/vector-stores.js";

const DAY = 86_400;
/** A clock the test moves by hand (Unix seconds), so expiry and last_active_at are exact. */
const clock = { now: 1_800_000_000 };

describe("vector stores", () => {
  const app = useVsApp({}, {}, { clock: () => clock.now });

  it("creates a store with name, files, static chunking, expiry and metadata; status and counts evolve", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const store = await t.client.vectorStores.create({
      name: "Field notes",
      file_ids: Object.values(ids),
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } },
      expires_after: { anchor: "last_active_at", days: 7 },
      metadata: { team: "geo" },
    });
    expectStore(store);
    expect(store.id).toMatch(/^vs_[0-9A-Za-z]{24}$/);
    expect(store).toMatchObject({
      object: "vector_store",
      name: "Field notes",
      status: "in_progress",
      usage_bytes: 0,
      file_counts: { in_progress: 3, completed: 0, failed: 0, cancelled: 0, total: 3 },
      expires_after: { anchor: "last_active_at", days: 7 },
      expires_at: clock.now + 7 * DAY,
      last_active_at: clock.now,
      created_at: clock.now,
      metadata: { team: "geo" },
    });

    await settle(t);
    const done = await t.client.vectorStores.retrieve(store.id);
    expectStore(done);
    expect(done.status).toBe("completed");
    expect(done.file_counts).toEqual({ in_progress: 0, completed: 3, failed: 0, cancelled: 0, total: 3 });
    const textBytes = Object.values(DOCS).reduce((n, d) => n + Buffer.byteLength(d), 0);
    expect(done.usage_bytes).toBe(textBytes);
    const files = await t.client.vectorStores.files.list(store.id);
    for (const f of files.data) expectStoreFile(f);
    expect(files.data.map((f) => f.chunking_strategy)).toEqual(
      Array(3).fill({ type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } }),
    );
  });

  it("an auto (or absent) chunking strategy is stored as static 800/400", async () => {
    const t = app();
    const ids = await uploadAll(t, { "a.txt": DOCS["saturn.txt"]! });
    for (const chunking_strategy of [{ type: "auto" as const }, undefined]) {
      const store = await t.client.vectorStores.create({ file_ids: [ids["a.txt"]!], ...(chunking_strategy ? { chunking_strategy } : {}) });
      expect(store.name).toBe("");
      const file = await t.client.vectorStores.files.retrieve(ids["a.txt"]!, { vector_store_id: store.id });
      expectStoreFile(file);
      expect(file.chunking_strategy).toEqual({ type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } });
    }
  });

  it("refuses unknown files, overlap above half the chunk size and bad expiry, naming the param", async () => {
    const { client } = app();
    const missing = await sdkError(client.vectorStores.create({ file_ids: ["file-nope"] }), OpenAI.BadRequestError);
    expect(missing.error.param).toBe("file_ids[0]");
    const overlap = await sdkError(
      client.vectorStores.create({ chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 201 } } }),
      OpenAI.BadRequestError,
    );
    expect(overlap.error.param).toBe("chunking_strategy.static.chunk_overlap_tokens");
    const expiry = await sdkError(client.vectorStores.create({ expires_after: { anchor: "last_active_at", days: 0 } }), OpenAI.BadRequestError);
    expect(expiry.error.param).toBe("expires_after.days");
    expect((await client.vectorStores.list()).data).toEqual([]);
  });

  it("lists stores newest first with limit, after, before and order", async () => {
    const { client } = app();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await client.vectorStores.create({ name: `s${i}` }));
    const ids = made.map((s) => s.id);
    const first = await client.vectorStores.list({ limit: 2 });
    expectMatchesSchema(wireBody(first), "ListVectorStoresResponse");
    expect(first.data.map((s) => s.id)).toEqual([ids[4], ids[3]]);
    expect(wireBody(first)).toMatchObject({ object: "list", first_id: ids[4], last_id: ids[3], has_more: true });
    const next = await client.vectorStores.list({ limit: 2, after: ids[3]! });
    expect(next.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    const asc = await client.vectorStores.list({ order: "asc", before: ids[3]! });
    expect(asc.data.map((s) => s.id)).toEqual([ids[0], ids[1], ids[2]]);
    expect(wireBody(asc)).toMatchObject({ has_more: false });
    const all = [];
    for await (const s of client.vectorStores.list({ limit: 2 })) all.push(s.id);
    expect(all).toEqual([...ids].reverse());
  });

  it("retrieves a store; an unknown id is a 404 in OpenAI's words", async () => {
    const { client } = app();
    const store = await client.vectorStores.create({ name: "x", metadata: { a: "1" } });
    expect(await client.vectorStores.retrieve(store.id)).toEqual(store);
    const err = await sdkError(client.vectorStores.retrieve("vs_missing"), OpenAI.NotFoundError);
    expect(err.error.message).toBe("No vector store found with id 'vs_missing'.");
  });

  it("modifies name, metadata and expiry; null clears them", async () => {
    const { client } = app();
    const store = await client.vectorStores.create({ name: "before", metadata: { a: "1" } });
    clock.now += 100;
    const renamed = await client.vectorStores.update(store.id, { name: "after", metadata: { b: "2" }, expires_after: { anchor: "last_active_at", days: 2 } });
    expectStore(renamed);
    expect(renamed).toMatchObject({ name: "after", metadata: { b: "2" }, expires_after: { days: 2 }, expires_at: store.last_active_at! + 2 * DAY });
    const kept = await client.vectorStores.update(store.id, {});
    expect(kept).toEqual(renamed);
    const cleared = await client.vectorStores.update(store.id, { name: null, metadata: null, expires_after: null });
    expectStore(cleared);
    expect(cleared).toMatchObject({ name: "", metadata: {}, expires_at: null });
    expect(cleared.expires_after).toBeUndefined();
    await sdkError(client.vectorStores.update("vs_missing", { name: "x" }), OpenAI.NotFoundError);
  });

  it("search moves last_active_at and the expiry deadline; a store past its deadline reports expired", async () => {
    const t = app();
    const { store } = await storeOf(t);
    await t.client.vectorStores.update(store.id, { expires_after: { anchor: "last_active_at", days: 1 } });
    clock.now += 3600;
    await search(t, store.id, { query: "Saturn rings" });
    const touched = await t.client.vectorStores.retrieve(store.id);
    expect(touched).toMatchObject({ last_active_at: clock.now, expires_at: clock.now + DAY, status: "completed" });
    clock.now += DAY + 1;
    const expired = await t.client.vectorStores.retrieve(store.id);
    expectStore(expired);
    expect(expired.status).toBe("expired");
  });

  it("deletes a store: its files stay, its search is a 404, its index table is gone", async () => {
    const t = app();
    const { store, ids } = await storeOf(t);
    const tableDir = path.join(t.dataDir, "lancedb", `${store.id}.lance`);
    expect(fs.existsSync(tableDir)).toBe(true);
    const deleted = await t.client.vectorStores.delete(store.id);
    expectMatchesSchema(deleted, "DeleteVectorStoreResponse");
    expect(deleted).toEqual({ id: store.id, object: "vector_store.deleted", deleted: true });
    expect(fs.existsSync(tableDir)).toBe(false);
    await sdkError(t.client.vectorStores.retrieve(store.id), OpenAI.NotFoundError);
    await sdkError(t.client.vectorStores.search(store.id, { query: "Saturn" }), OpenAI.NotFoundError);
    await sdkError(t.client.vectorStores.files.list(store.id), OpenAI.NotFoundError);
    await sdkError(t.client.vectorStores.delete(store.id), OpenAI.NotFoundError);
    expect((await t.client.files.retrieve(ids["saturn.txt"]!)).id).toBe(ids["saturn.txt"]);
    const res = await t.request(`/v1/vector_stores/${store.id}/search`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test-key" },
      body: JSON.stringify({ query: "Saturn" }),
    });
    expect((await rawError(res, 404)).message).toBe(`No vector store found with id '${store.id}'.`);
  });

  it("deleting a store while one of its files is being indexed leaves no index table behind", async () => {
    const t = app();
    const ids = await uploadAll(t, { "fr.pdf": pdf("federal-register-2020-17221.pdf") });
    const store = await t.client.vectorStores.create({ file_ids: [ids["fr.pdf"]!] });
    await t.client.vectorStores.delete(store.id);
    await settle(t);
    expect(fs.existsSync(path.join(t.dataDir, "lancedb", `${store.id}.lance`))).toBe(false);
    expect(t.services.repos.storeFiles.all({ vector_store_id: store.id })).toEqual([]);
  });
});
