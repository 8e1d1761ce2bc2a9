/**
 * LanceIndex defers optimize() after small writes (it cost ~35 ms per write, growing, when run every time):
 * these check that unoptimized rows are searchable at once, and get indexed after a pause, after 32 writes,
 * on flush() and close, and after a restart that left them unindexed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LanceIndex } from "../../src/retrieval/lance-index.js";
import { chunkRows } from "../../src/retrieval/vector-index.js";

const STORE = "vs_" + "O".repeat(24);
const fileId = (n: number) => "file-" + String(n).padStart(24, "0");
const rows = (n: number, text: string) => chunkRows(fileId(n), [{ index: 0, text, page_start: 1, page_end: 1 }]);

let dir: string;
let index: LanceIndex;

/** Rows the store's full-text index does not cover yet, read through a separate connection. */
async function unindexedRows(): Promise<number> {
  const db = await lancedb.connect(dir);
  const table = await db.openTable(STORE);
  const fts = (await table.listIndices()).find((i) => i.indexType === "FTS")!;
  const stats = await table.indexStats(fts.name);
  table.close();
  db.close();
  return stats?.numUnindexedRows ?? 0;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("LanceIndex: deferred optimize", () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "lance-optimize-"));
    index = await LanceIndex.open(dir, { optimizeIdleMs: 50 });
  });
  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("small writes are searchable at once and indexed once writes pause", async () => {
    await index.add(STORE, rows(0, "Photosynthesis converts light energy in chloroplasts."), null);
    for (let n = 1; n <= 5; n++) await index.add(STORE, rows(n, `Transonic wing number ${n} reduces wave drag.`), null);
    await index.add(STORE, rows(6, "Sourdough starter with wild yeast."), null);
    expect(await unindexedRows()).toBeGreaterThan(0);
    const before = await index.search(STORE, { text: "sourdough yeast", vector: null, limit: 3 });
    expect(before[0]!.file_id).toBe(fileId(6));
    await waitFor(async () => (await unindexedRows()) === 0);
    expect(await index.search(STORE, { text: "sourdough yeast", vector: null, limit: 3 })).toEqual(before);
  });

  it("optimizes at once every 32 writes, and on close", async () => {
    await index.close();
    index = await LanceIndex.open(dir, { optimizeIdleMs: 60_000 });
    await index.add(STORE, rows(0, "first"), null);
    for (let n = 1; n <= 32; n++) await index.add(STORE, rows(n, `row ${n}`), null);
    expect(await unindexedRows()).toBe(0);
    await index.add(STORE, rows(99, "late row"), null);
    expect(await unindexedRows()).toBe(1);
    await index.close();
    expect(await unindexedRows()).toBe(0);
  });

  it("flush() indexes pending writes now; on a missing store it does nothing", async () => {
    await index.add(STORE, rows(0, "first row"), null);
    await index.add(STORE, rows(1, "second row"), null);
    expect(await unindexedRows()).toBe(1);
    await index.flush(STORE);
    expect(await unindexedRows()).toBe(0);
    await index.flush("vs_" + "N".repeat(24));
  });

  it("rows a stopped process left unindexed are indexed after the store is next opened", async () => {
    await index.add(STORE, rows(0, "indexed row"), null);
    const db = await lancedb.connect(dir);
    const table = await db.openTable(STORE);
    // As LanceIndex stores a row without context (context_chars 0).
    await table.add(rows(1, "Supersonic shock wave left unindexed.").map((r) => ({ ...r, context_chars: 0 })) as unknown as Record<string, unknown>[]);
    table.close();
    db.close();
    await index.close();
    index = await LanceIndex.open(dir, { optimizeIdleMs: 50 });
    expect((await index.search(STORE, { text: "shock wave", vector: null, limit: 1 }))[0]!.file_id).toBe(fileId(1));
    await waitFor(async () => (await unindexedRows()) === 0);
  });
});
