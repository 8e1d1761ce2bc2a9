/**
 * BM25 ranking beyond single words (BM25 only, the offline default): a document's title is searched with every
 * one of its chunks (src/retrieval/document-title.ts) but never returned as part of them, and the best hits are
 * re-ranked by how near they hold the query's words (src/retrieval/proximity.ts).
 */
import { describe, expect, it } from "vitest";
import { DOCS, search, settle, uploadAll, useVsApp } from "../helpers/vector-stores.js";

const filler = (topic: string, n: number) => Array.from({ length: n }, (_, i) => `Clause ${i + 1} describes the ${topic} rules in plain words.`).join(" ");

describe("vector store search ranking (BM25 only)", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  it("finds a chunk deep in a document by its title's words, and returns the chunk without the title", async () => {
    const t = app();
    const ids = await uploadAll(t, {
      "lease.md": `# Apartment lease agreement\n\n${filler("tenancy", 30)}\n\nThe security deposit is returned within 30 days of moving out.`,
      "gym.txt": `Sports club membership\n\n${filler("membership", 30)}\n\nThe security deposit is returned when the locker key comes back.`,
    });
    // Small chunks: the deposit sentence sits in a later chunk that does not say "lease".
    const store = await t.client.vectorStores.create({
      name: "contracts",
      file_ids: Object.values(ids),
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } },
    });
    await settle(t);
    const hits = await search(t, store.id, { query: "lease deposit", max_num_results: 5 });
    const top = hits[0]!;
    expect(top.file_id).toBe(ids["lease.md"]);
    const text = top.content.map((c) => c.text).join("");
    expect(text).toContain("security deposit is returned within 30 days");
    expect(text).not.toContain("Apartment lease agreement"); // searched with the chunk, not part of it

    // The file's chunks read as the file: its title once, at the start.
    const content = await t.client.vectorStores.files.content(ids["lease.md"]!, { vector_store_id: store.id });
    const chunks: string[] = [];
    for await (const part of content) chunks.push(part.text ?? "");
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.startsWith("# Apartment lease agreement")).toBe(true);
    expect(chunks.join(" ").split("Apartment lease agreement").length).toBe(2);
  });

  it("ranks the chunk holding the query's words together above one holding them apart", async () => {
    const t = app();
    // The same words in both (so BM25 and its expansion score them the same), in another order; "apart.txt"
    // is uploaded first, so without proximity it ranks first on the tie.
    const ids = await uploadAll(t, {
      "apart.txt": "The boundary of the airfield was paved last spring by county road crews after months of waiting; a fresh layer of asphalt covered the runway.",
      "together.txt": "The airfield boundary layer was paved last spring by county road crews after months of waiting; a fresh of asphalt covered the runway.",
      ...DOCS,
    });
    const store = await t.client.vectorStores.create({ name: "aero", file_ids: Object.values(ids) });
    await settle(t);
    const hits = await search(t, store.id, { query: "boundary layer", max_num_results: 5 });
    expect(hits.slice(0, 2).map((h) => h.file_id)).toEqual([ids["together.txt"], ids["apart.txt"]]);
  });
});
