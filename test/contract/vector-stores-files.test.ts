import path from "node:path";
import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { LanceIndex } from "../../src/retrieval/lance-index.js";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { blankScanPdf } from "../helpers/scans.js";
import { contentOf, DOCS, expectStoreFile, pdf, search, settle, storeOf, upload, uploadAll, useVsApp } from "../helpers/vector-stores.js";

describe("vector store files", () => {
  const app = useVsApp();

  it("adds a file with its own chunking strategy and attributes; it completes with its text's size", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({ name: "s" });
    const file = await upload(t, pdf("pdflatex-4-pages.pdf"), "four.pdf");
    const added = await t.client.vectorStores.files.create(store.id, {
      file_id: file.id,
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 150 } },
      attributes: { author: "py-pdf", year: 2023, draft: false },
    });
    expectStoreFile(added);
    expect(added).toMatchObject({
      id: file.id,
      object: "vector_store.file",
      vector_store_id: store.id,
      status: "in_progress",
      last_error: null,
      usage_bytes: 0,
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 150 } },
      attributes: { author: "py-pdf", year: 2023, draft: false },
    });
    await settle(t);
    const done = await t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id });
    expectStoreFile(done);
    expect(done.status).toBe("completed");
    expect(done.usage_bytes).toBeGreaterThan(10_000);
    expect((await t.client.vectorStores.retrieve(store.id)).usage_bytes).toBe(done.usage_bytes);
    // 300-token chunks over ~14.5k characters of text: many chunks, each one of the content parts.
    const page = await t.client.vectorStores.files.content(file.id, { vector_store_id: store.id });
    expectMatchesSchema(wireBody(page), "VectorStoreFileContentResponse");
    expect(page.data.length).toBeGreaterThan(8);
    expect(page.data.every((d) => d.type === "text" && (d.text ?? "").length > 0)).toBe(true);
  });

  it("the content endpoint returns the parsed text of a text file and a PDF", async () => {
    const t = app();
    const { store, ids } = await storeOf(t, { "saturn.txt": DOCS["saturn.txt"]!, "fr.pdf": pdf("federal-register-2020-17221.pdf") });
    expect(await contentOf(t, store.id, ids["saturn.txt"]!)).toBe(DOCS["saturn.txt"]);
    // The 3-column layout breaks lines mid-sentence: compare with whitespace collapsed.
    const text = (await contentOf(t, store.id, ids["fr.pdf"]!)).replace(/\s+/g, " ");
    expect(text).toContain("Airworthiness Directives; The Boeing Company Airplanes");
    expect(text).toContain("Lion Air Flight 043");
  });

  it("refuses an overlap above half the chunk size, an unknown file and an unknown store", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    const file = await upload(t, "text", "a.txt");
    const overlap = await sdkError(
      t.client.vectorStores.files.create(store.id, {
        file_id: file.id,
        chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 401 } },
      }),
      OpenAI.BadRequestError,
    );
    expect(overlap.error.param).toBe("chunking_strategy.static.chunk_overlap_tokens");
    const small = await sdkError(
      t.client.vectorStores.files.create(store.id, { file_id: file.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } }),
      OpenAI.BadRequestError,
    );
    expect(small.error.param).toBe("chunking_strategy.static.max_chunk_size_tokens");
    const unknown = await sdkError(t.client.vectorStores.files.create(store.id, { file_id: "file-nope" }), OpenAI.BadRequestError);
    expect(unknown.error.param).toBe("file_id");
    await sdkError(t.client.vectorStores.files.create("vs_nope", { file_id: file.id }), OpenAI.NotFoundError);
    await sdkError(t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id }), OpenAI.NotFoundError);
    expect((await t.client.vectorStores.files.list(store.id)).data).toEqual([]);
  });

  it("lists files, filtered by status, with pagination", async () => {
    const t = app();
    const ids = await uploadAll(t, { ...DOCS, "scan.pdf": blankScanPdf(), "empty.txt": "   \n" });
    const store = await t.client.vectorStores.create({ file_ids: Object.values(ids) });
    await settle(t);
    const all = await t.client.vectorStores.files.list(store.id);
    expectMatchesSchema(wireBody(all), "ListVectorStoreFilesResponse");
    for (const f of all.data) expectStoreFile(f);
    expect(all.data.map((f) => f.id).sort()).toEqual(Object.values(ids).sort());
    const failed = await t.client.vectorStores.files.list(store.id, { filter: "failed" });
    expect(failed.data.map((f) => f.id).sort()).toEqual([ids["scan.pdf"], ids["empty.txt"]].sort());
    const completed = await t.client.vectorStores.files.list(store.id, { filter: "completed" });
    expect(completed.data).toHaveLength(3);
    expect((await t.client.vectorStores.files.list(store.id, { filter: "in_progress" })).data).toEqual([]);
    const first = await t.client.vectorStores.files.list(store.id, { limit: 2, order: "asc" });
    expect(wireBody(first)).toMatchObject({ has_more: true });
    const rest = await t.client.vectorStores.files.list(store.id, { order: "asc", after: first.data[1]!.id });
    expect([...first.data, ...rest.data].map((f) => f.id)).toEqual(all.data.map((f) => f.id).reverse());
    const bad = await sdkError(t.client.vectorStores.files.list(store.id, { filter: "done" as "completed" }), OpenAI.BadRequestError);
    expect(bad.error.param).toBe("filter");
  });

  it("updates a file's attributes; the search filter sees the new values", async () => {
    const t = app();
    const { store, ids } = await storeOf(t);
    const id = ids["saturn.txt"]!;
    const updated = await t.client.vectorStores.files.update(id, { vector_store_id: store.id, attributes: { topic: "space", rank: 1 } });
    expectStoreFile(updated);
    expect(updated.attributes).toEqual({ topic: "space", rank: 1 });
    expect((await t.client.vectorStores.files.retrieve(id, { vector_store_id: store.id })).attributes).toEqual({ topic: "space", rank: 1 });
    const hits = await search(t, store.id, { query: "rings magma bread", filters: { type: "eq", key: "topic", value: "space" } });
    expect(hits.map((h) => h.file_id)).toEqual([id]);
    expect(hits[0]!.attributes).toEqual({ topic: "space", rank: 1 });
    const cleared = await t.client.vectorStores.files.update(id, { vector_store_id: store.id, attributes: null });
    expect(cleared.attributes).toEqual({});
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    const err = await sdkError(t.client.vectorStores.files.update(id, { vector_store_id: store.id, attributes: tooMany }), OpenAI.BadRequestError);
    expect(err.error.param).toBe("attributes");
  });

  it("deleting a store file removes its chunks from search; the file itself stays", async () => {
    const t = app();
    const { store, ids } = await storeOf(t);
    const id = ids["volcanoes.txt"]!;
    expect((await search(t, store.id, { query: "magma lava eruption" }))[0]!.file_id).toBe(id);
    const deleted = await t.client.vectorStores.files.delete(id, { vector_store_id: store.id });
    expectMatchesSchema(deleted, "DeleteVectorStoreFileResponse");
    expect(deleted).toEqual({ id, object: "vector_store.file.deleted", deleted: true });
    expect((await search(t, store.id, { query: "magma lava eruption volcanoes" })).map((h) => h.file_id)).not.toContain(id);
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts.total).toBe(2);
    expect((await t.client.files.retrieve(id)).id).toBe(id);
    await sdkError(t.client.vectorStores.files.delete(id, { vector_store_id: store.id }), OpenAI.NotFoundError);
    // Indexed again when re-added.
    await t.client.vectorStores.files.create(store.id, { file_id: id });
    await settle(t);
    expect((await search(t, store.id, { query: "magma lava eruption" }))[0]!.file_id).toBe(id);
  });

  it("deleting a File removes its chunks from every store holding it", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const a = await t.client.vectorStores.create({ file_ids: Object.values(ids) });
    const b = await t.client.vectorStores.create({ file_ids: [ids["saturn.txt"]!, ids["sourdough.txt"]!] });
    await settle(t);
    for (const s of [a, b]) expect((await search(t, s.id, { query: "Saturn rings Titan" }))[0]!.file_id).toBe(ids["saturn.txt"]);
    const deleted = await t.client.files.delete(ids["saturn.txt"]!);
    expect(deleted.deleted).toBe(true);
    for (const s of [a, b]) {
      const hits = await search(t, s.id, { query: "Saturn rings Titan planet" });
      expect(hits.map((h) => h.file_id)).not.toContain(ids["saturn.txt"]);
      expect((await t.client.vectorStores.files.list(s.id)).data.map((f) => f.id)).not.toContain(ids["saturn.txt"]);
    }
    // Gone from the index itself, not only hidden by the membership check.
    const index = await LanceIndex.open(path.join(t.dataDir, "lancedb"));
    expect(await index.fileChunks(a.id, ids["saturn.txt"]!)).toEqual([]);
    expect(await index.fileChunks(b.id, ids["saturn.txt"]!)).toEqual([]);
    expect((await index.fileChunks(b.id, ids["sourdough.txt"]!)).length).toBeGreaterThan(0);
    await index.close();
  });

  it("re-adding a file while it is being indexed indexes it again with the new chunking strategy", async () => {
    const t = app();
    const ids = await uploadAll(t, { "fr.pdf": pdf("federal-register-2020-17221.pdf") });
    const id = ids["fr.pdf"]!;
    const store = await t.client.vectorStores.create({ file_ids: [id] });
    const small = { type: "static" as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };
    await t.client.vectorStores.files.create(store.id, { file_id: id, chunking_strategy: small, attributes: { v: 2 } });
    await settle(t);
    const file = await t.client.vectorStores.files.retrieve(id, { vector_store_id: store.id });
    expect(file).toMatchObject({ status: "completed", chunking_strategy: small, attributes: { v: 2 } });
    const chunks = await t.client.vectorStores.files.content(id, { vector_store_id: store.id });
    // ~15k tokens in chunks of ≤ 100: over a hundred short chunks, not ~40 of the default 800 tokens.
    expect(chunks.data.length).toBeGreaterThan(120);
    expect(Math.max(...chunks.data.map((c) => c.text!.length))).toBeLessThan(800);
  });
});
