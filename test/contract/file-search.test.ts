import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { sdkError } from "../helpers/contract.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { blankScanPdf } from "../helpers/scans.js";
import { DOCS, MODES, pdf, search, settle, uploadAll, useVsApp } from "../helpers/vector-stores.js";

type Filter = OpenAI.VectorStores.VectorStoreSearchParams["filters"];

const ATTRIBUTES: Record<string, Record<string, string | number | boolean>> = {
  "volcanoes.txt": { topic: "geo", year: 2019, public: true },
  "sourdough.txt": { topic: "food", year: 2021, public: false },
  "saturn.txt": { topic: "space", year: 2023, public: true },
};
/** Words from all three documents: every file has a BM25 match. */
const ALL_TOPICS = "magma sourdough Saturn";

/** The three topical documents, each with its attributes, plus a long PDF cut in small chunks. */
async function seedStore(t: RunTestApp) {
  const ids = await uploadAll(t, { ...DOCS, "fr.pdf": pdf("federal-register-2020-17221.pdf") });
  const store = await t.client.vectorStores.create({ name: "search" });
  await t.client.vectorStores.fileBatches.create(store.id, {
    files: Object.entries(ids).map(([name, file_id]) => ({
      file_id,
      attributes: ATTRIBUTES[name] ?? { topic: "law", year: 2020, public: true },
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 120, chunk_overlap_tokens: 20 } },
    })),
  } as OpenAI.VectorStores.FileBatchCreateParams);
  await settle(t);
  const nameOf = (id: string) => Object.keys(ids).find((n) => ids[n] === id);
  return { store, ids, nameOf };
}

describe.each(MODES)("vector store search ($mode)", ({ env }) => {
  const app = useVsApp(env);

  it("a query about one document ranks it first; results carry file_id, filename, score, attributes, content", async () => {
    const t = app();
    const { store, ids, nameOf } = await seedStore(t);
    const queries: Record<string, string> = {
      "volcanoes.txt": "why do stratovolcanoes explode? viscous magma and pyroclastic flows",
      "sourdough.txt": "how to feed a sourdough starter, wild yeast fermentation",
      "saturn.txt": "Titan moon methane lakes, Cassini probe",
      "fr.pdf": "airworthiness directive angle of attack sensor Boeing 737 MAX",
    };
    for (const [name, query] of Object.entries(queries)) {
      const hits = await search(t, store.id, { query });
      expect(nameOf(hits[0]!.file_id), query).toBe(name);
      expect(hits[0]!).toMatchObject({ file_id: ids[name], filename: name, attributes: ATTRIBUTES[name] ?? { topic: "law" } });
      expect(hits[0]!.content[0]).toMatchObject({ type: "text" });
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    }
    const saturn = await search(t, store.id, { query: queries["saturn.txt"]! });
    expect(saturn[0]!.content[0]!.text).toBe(DOCS["saturn.txt"]);
  });

  it("max_num_results caps the results (default 10)", async () => {
    const t = app();
    const { store } = await seedStore(t);
    const query = "FAA proposed AD airplanes comments";
    expect(await search(t, store.id, { query })).toHaveLength(10);
    expect(await search(t, store.id, { query, max_num_results: 3 })).toHaveLength(3);
    expect((await search(t, store.id, { query, max_num_results: 25 })).length).toBeGreaterThan(10);
    for (const max_num_results of [0, 51]) {
      const err = await sdkError(t.client.vectorStores.search(store.id, { query, max_num_results }), OpenAI.BadRequestError);
      expect(err.error.param).toBe("max_num_results");
    }
  });

  it("ranking_options.score_threshold drops weaker results", async () => {
    const t = app();
    const { store } = await seedStore(t);
    const query = "FAA proposed AD airplanes comments Saturn";
    const all = await search(t, store.id, { query, max_num_results: 20 });
    expect(all[0]!.score).toBeGreaterThan(0.9); // 1 = first in every ranked list (BM25 alone: the best BM25 score)
    const threshold = all[Math.floor(all.length / 2)]!.score;
    const strong = await search(t, store.id, { query, max_num_results: 20, ranking_options: { score_threshold: threshold } });
    expect(strong.length).toBeLessThan(all.length);
    expect(strong.length).toBeGreaterThan(0);
    expect(strong.every((h) => h.score >= threshold)).toBe(true);
    const top = all[0]!.score;
    expect(await search(t, store.id, { query, ranking_options: { score_threshold: top, ranker: "auto" } })).toEqual(all.filter((h) => h.score >= top));
    const err = await sdkError(t.client.vectorStores.search(store.id, { query, ranking_options: { score_threshold: 1.5 } }), OpenAI.BadRequestError);
    expect(err.error.param).toBe("ranking_options.score_threshold");
  });

  it("attribute filters: eq, ne, in, nin, range, and/or compounds", async () => {
    const t = app();
    const { store, nameOf } = await seedStore(t);
    const files = async (filters: Filter) =>
      [...new Set((await search(t, store.id, { query: `${ALL_TOPICS} FAA`, max_num_results: 50, filters })).map((h) => nameOf(h.file_id)))].sort();
    expect(await files({ type: "eq", key: "topic", value: "space" })).toEqual(["saturn.txt"]);
    expect(await files({ type: "eq", key: "public", value: false })).toEqual(["sourdough.txt"]);
    expect(await files({ type: "ne", key: "topic", value: "law" })).toEqual(["saturn.txt", "sourdough.txt", "volcanoes.txt"]);
    expect(await files({ type: "in", key: "topic", value: ["geo", "food"] })).toEqual(["sourdough.txt", "volcanoes.txt"]);
    expect(await files({ type: "nin", key: "year", value: [2019, 2020] })).toEqual(["saturn.txt", "sourdough.txt"]);
    expect(await files({ type: "gte", key: "year", value: 2021 })).toEqual(["saturn.txt", "sourdough.txt"]);
    expect(await files({ type: "lt", key: "year", value: 2021 })).toEqual(["fr.pdf", "volcanoes.txt"]);
    const and: Filter = { type: "and", filters: [{ type: "eq", key: "public", value: true }, { type: "gt", key: "year", value: 2019 }] };
    expect(await files(and)).toEqual(["fr.pdf", "saturn.txt"]);
    const or: Filter = { type: "or", filters: [{ type: "eq", key: "topic", value: "geo" }, { type: "and", filters: [{ type: "eq", key: "public", value: false }, { type: "lte", key: "year", value: 2021 }] }] };
    expect(await files(or)).toEqual(["sourdough.txt", "volcanoes.txt"]);
    expect(await files({ type: "eq", key: "missing", value: "x" })).toEqual([]);
    const bad = await sdkError(t.client.vectorStores.search(store.id, { query: "x", filters: { type: "like", key: "topic", value: "s" } as never }), OpenAI.BadRequestError);
    expect(bad.error.param).toMatch(/^filters/);
  });

  it("takes the query as an array and echoes it as search_query", async () => {
    const t = app();
    const { store, nameOf } = await seedStore(t);
    const page = await t.client.vectorStores.search(store.id, { query: ["Titan methane", "Cassini"], max_num_results: 2 });
    expect((page as unknown as { body: { search_query: string[] } }).body.search_query).toEqual(["Titan methane", "Cassini"]);
    expect(nameOf(page.data[0]!.file_id)).toBe("saturn.txt");
    const single = await t.client.vectorStores.search(store.id, { query: "Cassini" });
    expect((single as unknown as { body: { search_query: string[] } }).body.search_query).toEqual(["Cassini"]);
    await sdkError(t.client.vectorStores.search(store.id, { query: "" }), OpenAI.BadRequestError);
    await sdkError(t.client.vectorStores.search(store.id, { query: [] }), OpenAI.BadRequestError);
    await sdkError(t.client.vectorStores.search("vs_nope", { query: "x" }), OpenAI.NotFoundError);
  });

  it("a store with no completed file answers with no results", async () => {
    const t = app();
    const empty = await t.client.vectorStores.create({});
    expect(await search(t, empty.id, { query: "anything" })).toEqual([]);
    const ids = await uploadAll(t, { "scan.pdf": blankScanPdf() });
    const failed = await t.client.vectorStores.create({ file_ids: [ids["scan.pdf"]!] });
    await settle(t);
    expect(await search(t, failed.id, { query: "Huckleberry" })).toEqual([]);
  });
});
