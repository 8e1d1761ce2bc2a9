import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Embedder } from "../../src/llm/chat-model.js";
import { reciprocalRankFusion } from "../../src/retrieval/fusion.js";
import { embedTexts, indexFile } from "../../src/retrieval/ingestion/index.js";
import { LanceIndex } from "../../src/retrieval/lance-index.js";
import { chunkRows, InvalidIdError, type SearchHit } from "../../src/retrieval/vector-index.js";
import { hashEmbedding } from "../fakes/hash-embedding.js";

const DIMS = 64;
const STORE = "vs_" + "A".repeat(24);
const OTHER_STORE = "vs_" + "B".repeat(24);
const FILE_A = "file-" + "a".repeat(24);
const FILE_B = "file-" + "b".repeat(24);
const FILE_C = "file-" + "c".repeat(24);

const embedder: Embedder = {
  model: "hash-bow",
  embed: async (texts) => texts.map((t) => hashEmbedding(t, DIMS)),
};

const DOCS: Record<string, string[]> = {
  [FILE_A]: [
    "Photosynthesis converts light energy into chemical energy in the chloroplasts of plant cells.",
    "The Calvin cycle fixes carbon dioxide into sugars using ATP and NADPH.",
  ],
  [FILE_B]: [
    "A transonic wing reduces wave drag at speeds close to Mach one.",
    "Boundary layer separation on the wing causes stall at high angles of attack.",
  ],
  [FILE_C]: [
    "Sourdough bread rises because wild yeast and lactobacilli ferment the dough.",
    "Bake the loaf in a hot Dutch oven for a crisp crust.",
  ],
};

const rowsOf = (fileId: string) =>
  chunkRows(fileId, DOCS[fileId]!.map((text, index) => ({ index, text, page_start: index + 1, page_end: index + 1 })));
const vectorsOf = async (fileId: string) => embedder.embed(DOCS[fileId]!);
const top = (hits: SearchHit[]) => hits[0] && `${hits[0].file_id}#${hits[0].chunk_index}`;

let dir: string;
let index: LanceIndex;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "lance-test-"));
  index = await LanceIndex.open(dir);
});

afterEach(async () => {
  await index.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fillBm25(): Promise<void> {
  for (const f of [FILE_A, FILE_B, FILE_C]) await index.add(STORE, rowsOf(f), null);
}

async function fillHybrid(): Promise<void> {
  for (const f of [FILE_A, FILE_B, FILE_C]) await index.add(STORE, rowsOf(f), await vectorsOf(f));
}

function expectScores(hits: SearchHit[]): void {
  for (const h of hits) expect(h.score).toBeGreaterThanOrEqual(0);
  for (const h of hits) expect(h.score).toBeLessThanOrEqual(1);
  for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
}

describe("LanceIndex: BM25-only stores", () => {
  it("ranks the relevant chunk first, with its page numbers and text, top score 1", async () => {
    await fillBm25();
    const hits = await index.search(STORE, { text: "why does the wing stall?", vector: null, limit: 5 });
    expect(top(hits)).toBe(`${FILE_B}#1`);
    expect(hits[0]).toMatchObject({ page_start: 2, page_end: 2, text: DOCS[FILE_B]![1], score: 1 });
    expectScores(hits);
    const bread = await index.search(STORE, { text: "sourdough yeast", vector: null, limit: 5 });
    expect(top(bread)).toBe(`${FILE_C}#0`);
  });

  it("stems query and text (chloroplast ~ chloroplasts) and ignores a vector it cannot use", async () => {
    await fillBm25();
    const hits = await index.search(STORE, { text: "chloroplast", vector: hashEmbedding("x", DIMS), limit: 3 });
    expect(top(hits)).toBe(`${FILE_A}#0`);
  });

  it("takes user text literally: quotes, operators and SQL in a query neither fail nor inject", async () => {
    await fillBm25();
    for (const text of [`"wing" AND (stall OR drag) -bread`, `'; DROP TABLE x; --`, "wing:* ~2 ^3 \\", "?!"]) {
      const hits = await index.search(STORE, { text, vector: null, limit: 3 });
      expect(Array.isArray(hits)).toBe(true);
    }
    expect(top(await index.search(STORE, { text: `"wing" AND stall`, vector: null, limit: 3 }))).toBe(`${FILE_B}#1`);
  });

  it("returns [] for a store that does not exist, an empty query, or limit 0", async () => {
    expect(await index.search(OTHER_STORE, { text: "wing", vector: null, limit: 5 })).toEqual([]);
    await fillBm25();
    expect(await index.search(STORE, { text: "  ", vector: null, limit: 5 })).toEqual([]);
    expect(await index.search(STORE, { text: "wing", vector: null, limit: 0 })).toEqual([]);
  });
});

describe("LanceIndex: embedded stores", () => {
  it("hybrid search ranks the relevant chunk first and scores 1 when both lists agree", async () => {
    await fillHybrid();
    const query = "boundary layer separation stall";
    const hits = await index.search(STORE, { text: query, vector: hashEmbedding(query, DIMS), limit: 4 });
    expect(top(hits)).toBe(`${FILE_B}#1`);
    expect(hits[0]!.score).toBe(1);
    expect(hits).toHaveLength(4);
    expectScores(hits);
  });

  it("searches by vector alone when the query has no words, scoring cosine similarity", async () => {
    await fillHybrid();
    const target = DOCS[FILE_C]![1]!;
    const hits = await index.search(STORE, { text: "", vector: hashEmbedding(target, DIMS), limit: 3 });
    expect(top(hits)).toBe(`${FILE_C}#1`);
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    expectScores(hits);
  });

  it("keeps a store's kind: vectors into a BM25 store, other dimensions, or a wrong query vector fail", async () => {
    await index.add(STORE, rowsOf(FILE_A), null);
    await expect(index.add(STORE, rowsOf(FILE_B), await vectorsOf(FILE_B))).rejects.toThrow(/BM25 only/);
    await index.add(OTHER_STORE, rowsOf(FILE_A), await vectorsOf(FILE_A));
    await expect(index.add(OTHER_STORE, rowsOf(FILE_B), null)).rejects.toThrow(/64-dimension/);
    await expect(index.add(OTHER_STORE, rowsOf(FILE_B), [[1, 2], [3, 4]])).rejects.toThrow(/2-dimension/);
    await expect(index.add(OTHER_STORE, rowsOf(FILE_B), [[1, 2]])).rejects.toThrow(/1 vectors for 2 rows/);
    await expect(index.search(OTHER_STORE, { text: "x", vector: [1, 0], limit: 1 })).rejects.toThrow(/dimensions/);
  });

  it("partial adds are completed by the file's last add (even an empty one): same ranking as one add", async () => {
    await index.add(OTHER_STORE, [...rowsOf(FILE_A), ...rowsOf(FILE_B), ...rowsOf(FILE_C)], null);
    // A new store: its full-text index is built by the completing add, over every partially added row.
    await index.add(STORE, rowsOf(FILE_A), null, { partial: true });
    await index.add(STORE, rowsOf(FILE_B), null, { partial: true });
    await index.add(STORE, rowsOf(FILE_C), null, { partial: true });
    await index.add(STORE, [], null);
    for (const query of ["wing drag stall", "sourdough yeast", "chloroplasts light energy"]) {
      const hits = await index.search(STORE, { text: query, vector: null, limit: 6 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits).toEqual(await index.search(OTHER_STORE, { text: query, vector: null, limit: 6 }));
    }
    // An existing store: a file added in parts is found once its last add completes it.
    const more = chunkRows(FILE_A, [{ index: 7, text: "Stomata regulate transpiration in leaves.", page_start: 9, page_end: 9 }]);
    await index.add(STORE, more, null, { partial: true });
    await index.add(STORE, [], null);
    await index.flush(STORE);
    expect(top(await index.search(STORE, { text: "stomata transpiration", vector: null, limit: 1 }))).toBe(`${FILE_A}#7`);
  });

  it("indexFile chunks, embeds in batches and adds; embedTexts checks the embedder's answer", async () => {
    const calls: number[] = [];
    const counting: Embedder = { model: "m", embed: async (t) => (calls.push(t.length), embedder.embed(t)) };
    const pages = [{ page: 1, text: DOCS[FILE_B]!.join("\n\n") }];
    const result = await indexFile(index, counting, STORE, FILE_B, pages, { embedBatchSize: 1 });
    expect(result).toEqual({ chunks: 1, tokens: expect.any(Number), dims: 64 });
    expect(calls).toEqual([1]);
    expect(top(await index.search(STORE, { text: "transonic", vector: hashEmbedding("transonic", DIMS), limit: 1 }))).toBe(`${FILE_B}#0`);
    const broken: Embedder = { model: "broken", embed: async () => [] };
    await expect(embedTexts(broken, ["a", "b"])).rejects.toThrow(/broken returned 0 vectors for 2 texts/);
  });
});

describe("LanceIndex: deleting, filtering, persistence", () => {
  it("deleteFile removes exactly that file's chunks", async () => {
    await fillHybrid();
    await index.deleteFile(STORE, FILE_B);
    const query = "wing stall drag";
    const hits = await index.search(STORE, { text: query, vector: hashEmbedding(query, DIMS), limit: 10 });
    expect(hits.map((h) => h.file_id)).not.toContain(FILE_B);
    expect(hits.length).toBeGreaterThan(0); // the vector list still returns the other files
    const bread = await index.search(STORE, { text: "sourdough", vector: null, limit: 3 });
    expect(top(bread)).toBe(`${FILE_C}#0`);
    await index.deleteFile(STORE, FILE_B); // again: a no-op
    await index.deleteFile(OTHER_STORE, FILE_B); // store that does not exist: a no-op
  });

  it("drop removes the store; it can then be created again, even of another kind", async () => {
    await fillBm25();
    await index.drop(STORE);
    expect(await index.search(STORE, { text: "wing", vector: null, limit: 5 })).toEqual([]);
    await index.drop(STORE); // dropping a missing store is a no-op
    await index.add(STORE, rowsOf(FILE_A), await vectorsOf(FILE_A));
    expect(top(await index.search(STORE, { text: "calvin", vector: null, limit: 1 }))).toBe(`${FILE_A}#1`);
  });

  it("filters by file id; an empty list matches nothing", async () => {
    await fillHybrid();
    const query = "energy wing bread";
    const vector = hashEmbedding(query, DIMS);
    const hits = await index.search(STORE, { text: query, vector, limit: 10, fileIds: [FILE_C, FILE_A] });
    expect(new Set(hits.map((h) => h.file_id))).toEqual(new Set([FILE_A, FILE_C]));
    const onlyB = await index.search(STORE, { text: "energy", vector: null, limit: 10, fileIds: [FILE_B] });
    expect(onlyB).toEqual([]); // "energy" occurs only in file A
    expect(await index.search(STORE, { text: query, vector, limit: 10, fileIds: [] })).toEqual([]);
  });

  it("keeps its data across close and reopen (a restart)", async () => {
    await fillHybrid();
    await index.close();
    index = await LanceIndex.open(dir);
    const query = "calvin cycle sugars";
    const hits = await index.search(STORE, { text: query, vector: hashEmbedding(query, DIMS), limit: 2 });
    expect(top(hits)).toBe(`${FILE_A}#1`);
    await index.add(STORE, rowsOf(FILE_A), await vectorsOf(FILE_A)); // still an embedded 64-dim store
  });

  it("serialises concurrent writes to one store: nothing is lost", async () => {
    const files = Array.from({ length: 6 }, (_, i) => `file-${String(i).padStart(24, "0")}`);
    const addMarker = (f: string, i: number) =>
      index.add(STORE, chunkRows(f, [{ index: 0, text: `unique${i} marker text`, page_start: null, page_end: null }]), null);
    await Promise.all(files.slice(0, 3).map(addMarker)); // racing to create the table
    await Promise.all(files.slice(3).map((f, i) => addMarker(f, i + 3)));
    // On an existing table too: adds, optimizes and deletes interleaved would conflict without the queue.
    await Promise.all([
      index.deleteFile(STORE, files[0]!),
      ...[FILE_A, FILE_B, FILE_C].map((f) => index.add(STORE, rowsOf(f), null)),
      index.deleteFile(STORE, FILE_C),
      index.add(OTHER_STORE, rowsOf(FILE_A), null),
    ]);
    const hits = await index.search(STORE, { text: "marker", vector: null, limit: 20 });
    expect(hits.map((h) => h.file_id).sort()).toEqual(files.slice(1));
    expect(await index.search(STORE, { text: "sourdough", vector: null, limit: 20 })).toEqual([]);
    expect(top(await index.search(STORE, { text: "transonic", vector: null, limit: 20 }))).toBe(`${FILE_B}#0`);
    expect(hits[0]!.page_start).toBeNull();
  });

  it("rejects malformed store and file ids before they reach a filter", async () => {
    await fillBm25();
    const q = { text: "wing", vector: null, limit: 5 };
    const badFile = `file-${"a".repeat(23)}' OR '1'='1`;
    await expect(index.search("vs_short", q)).rejects.toThrow(InvalidIdError);
    await expect(index.search(`${STORE}; drop`, q)).rejects.toThrow(InvalidIdError);
    await expect(index.search(STORE, { ...q, fileIds: [FILE_A, badFile] })).rejects.toThrow(InvalidIdError);
    await expect(index.deleteFile(STORE, badFile)).rejects.toThrow(InvalidIdError);
    await expect(index.deleteFile(STORE, "file-abc")).rejects.toThrow(InvalidIdError);
    await expect(index.add(STORE, chunkRows("file-x", [{ index: 0, text: "t", page_start: 1, page_end: 1 }]), null)).rejects.toThrow(InvalidIdError);
    await expect(index.drop("../etc")).rejects.toThrow(InvalidIdError);
    expect(await index.search(STORE, q)).toHaveLength(2); // nothing was deleted
  });
});

describe("reciprocalRankFusion", () => {
  const list = (...keys: string[]) => keys.map((key) => ({ key, item: key, raw: 0 }));

  it("favours items ranked well in both lists and normalises rank 1 in all lists to 1", () => {
    const fused = reciprocalRankFusion([list("a", "b", "c"), list("b", "a", "d")], 10);
    expect(fused.map((f) => f.item)).toEqual(["a", "b", "c", "d"]); // a/b tie: first list's order
    expect(reciprocalRankFusion([list("x"), list("x")], 1)[0]!.score).toBe(1);
    expect(fused[2]!.score).toBeCloseTo(1 / 63 / (2 / 61), 10);
  });
});
