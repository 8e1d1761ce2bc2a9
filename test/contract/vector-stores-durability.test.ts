import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/db.js";
import { VectorStoreFilesRepo } from "../../src/store/vector-stores-repo.js";
import type { Env } from "../../src/config.js";
import type { OllamaFakeOptions } from "../fakes/ollama-fake.js";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { blankScanPdf } from "../helpers/scans.js";
import { contentOf, DOCS, expectStore, expectStoreFile, pdf, search, settle, storeOf, uploadAll } from "../helpers/vector-stores.js";

describe("vector stores across restarts and without an embedding model", () => {
  let dataDir: string;
  const opened: RunTestApp[] = [];
  const open = async (env: Env = {}, fake: OllamaFakeOptions = {}): Promise<RunTestApp> => {
    const t = await makeRunApp({ DATA_DIR: dataDir, ...env }, fake);
    opened.push(t);
    return t;
  };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-vs-durable-"));
  });
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("restart keeps the index: a reopened app on the same DATA_DIR still finds the chunks", async () => {
    const first = await open();
    const { store, ids } = await storeOf(first, { ...DOCS, "fr.pdf": pdf("federal-register-2020-17221.pdf") });
    const before = await search(first, store.id, { query: "angle of attack sensor" });
    await first.close();

    const second = await open();
    const reopened = await second.client.vectorStores.retrieve(store.id);
    expectStore(reopened);
    expect(reopened).toMatchObject({ status: "completed", file_counts: { completed: 4, total: 4 } });
    const after = await search(second, store.id, { query: "angle of attack sensor" });
    expect(after).toEqual(before);
    expect(after[0]!.file_id).toBe(ids["fr.pdf"]);
    // A hybrid store stays hybrid: the query is embedded again after the restart.
    expect(second.ollama.embedRequests.length).toBeGreaterThan(0);
    expect(await contentOf(second, store.id, ids["saturn.txt"]!)).toBe(DOCS["saturn.txt"]);
  });

  it("files left in_progress by a process that stopped mid-ingestion are resumed on the next boot", async () => {
    const first = await open({ EMBEDDING_MODEL: "" });
    const ids = await uploadAll(first, { ...DOCS, "scan.pdf": blankScanPdf(), "four.pdf": pdf("pdflatex-4-pages.pdf") });
    const store = await first.client.vectorStores.create({ file_ids: Object.values(ids) });
    // Close at once: the file being indexed finishes, the queued ones stay in_progress in the database.
    await first.close();
    const db = openDb(dataDir);
    const stuck = new VectorStoreFilesRepo(db).all({ vector_store_id: store.id, status: "in_progress" });
    db.close();
    expect(stuck.length).toBeGreaterThanOrEqual(4);

    const second = await open({ EMBEDDING_MODEL: "" });
    await settle(second);
    const files = await second.client.vectorStores.files.list(store.id);
    for (const f of files.data) expectStoreFile(f);
    const status = Object.fromEntries(files.data.map((f) => [f.id, f.status]));
    expect(status).toEqual({
      [ids["volcanoes.txt"]!]: "completed",
      [ids["sourdough.txt"]!]: "completed",
      [ids["saturn.txt"]!]: "completed",
      [ids["four.pdf"]!]: "completed",
      [ids["scan.pdf"]!]: "failed",
    });
    expect((await second.client.vectorStores.retrieve(store.id)).status).toBe("completed");
    expect((await search(second, store.id, { query: "Cassini Titan" }))[0]!.file_id).toBe(ids["saturn.txt"]);
  });

  it("a file whose chunks were written but whose status was not is re-indexed without duplicates", async () => {
    const first = await open({ EMBEDDING_MODEL: "" });
    const { store, ids } = await storeOf(first, { "saturn.txt": DOCS["saturn.txt"]! });
    const id = ids["saturn.txt"]!;
    // The crash window: chunks in the index, the row still in_progress.
    const row = first.services.repos.storeFiles.get(`${store.id}/${id}`)!;
    first.services.repos.storeFiles.update({ ...row, status: "in_progress", usage_bytes: 0 });
    await first.close();

    const second = await open({ EMBEDDING_MODEL: "" });
    await settle(second);
    const file = await second.client.vectorStores.files.retrieve(id, { vector_store_id: store.id });
    expect(file.status).toBe("completed");
    expect(await contentOf(second, store.id, id)).toBe(DOCS["saturn.txt"]);
    expect(await search(second, store.id, { query: "Saturn" })).toHaveLength(1);
  });

  it('EMBEDDING_MODEL="" builds BM25-only stores: nothing is embedded, search works', async () => {
    const t = await open({ EMBEDDING_MODEL: "" });
    const { store, ids } = await storeOf(t);
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts.completed).toBe(3);
    expect((await search(t, store.id, { query: "sourdough starter" }))[0]!.file_id).toBe(ids["sourdough.txt"]);
    expect(t.ollama.embedRequests).toEqual([]);
  });

  it("an embedding model that is not pulled: stores still complete and search by BM25 alone", async () => {
    const t = await open({}, { embeddingModels: [] });
    const { store, ids } = await storeOf(t);
    expect(t.ollama.embedRequests.length).toBeGreaterThan(0); // it was tried, got 404
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts).toMatchObject({ completed: 3, failed: 0 });
    expect((await search(t, store.id, { query: "volcanic ash aircraft" }))[0]!.file_id).toBe(ids["volcanoes.txt"]);
    // A BM25-only store never asks for query embeddings, and unrelated queries find nothing.
    const embedsBefore = t.ollama.embedRequests.length;
    expect(await search(t, store.id, { query: "quantum chromodynamics" })).toEqual([]);
    expect(t.ollama.embedRequests.length).toBe(embedsBefore);
  });

  it("Ollama unreachable: stores complete by BM25; a hybrid store's search falls back to BM25 when it goes down", async () => {
    const t = await open();
    const hybrid = await storeOf(t, DOCS, "hybrid");
    await t.ollama.setDown(true);
    const offline = await storeOf(t, DOCS, "offline");
    expect((await t.client.vectorStores.retrieve(offline.store.id)).file_counts).toMatchObject({ completed: 3, failed: 0 });
    expect((await search(t, offline.store.id, { query: "Titan methane" }))[0]!.file_id).toBe(offline.ids["saturn.txt"]);
    const fallback = await search(t, hybrid.store.id, { query: "Titan methane" });
    expect(fallback[0]!.file_id).toBe(hybrid.ids["saturn.txt"]);
    expect(fallback).toHaveLength(1); // BM25 only: no nearest-neighbour filler
  });
});
