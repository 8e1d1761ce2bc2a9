/**
 * BM25 search with pseudo-relevance feedback (src/retrieval/query-expansion.ts): a file that never uses the
 * query's word but shares the vocabulary of the files that do is found too, ranked after them; with no feedback
 * to learn from, only the query's own words count.
 */
import { describe, expect, it } from "vitest";
import { expandedQuery } from "../../src/retrieval/query-expansion.js";
import { search, storeOf, useVsApp } from "../helpers/vector-stores.js";

const DOCS = {
  "carburettor.txt": "The automobile carburettor mixes petrol and air before the piston cylinder fires; a tuned carburettor idles smoothly.",
  "gearbox.txt": "An automobile gearbox turns the crankshaft torque into wheel speed; the clutch couples the piston engine to the gearbox.",
  "engine.txt": "Inside the engine each piston moves in its cylinder, the crankshaft turns, and the clutch and carburettor keep it running.",
  "baking.txt": "Knead the dough, let it rise in a warm bowl, then bake the bread until its crust is golden.",
};

describe("vector store search with query expansion (BM25 only)", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  it("finds a file in the same words as the best hits though it lacks the query's word, after those hits", async () => {
    const t = app();
    const { store, nameOf } = await storeOf(t, DOCS);
    const hits = await search(t, store.id, { query: "automobile", max_num_results: 10 });
    const names = hits.map((h) => nameOf(h.file_id));
    expect(names.slice(0, 2).sort()).toEqual(["carburettor.txt", "gearbox.txt"]);
    expect(names).toContain("engine.txt"); // no "automobile" in it: found through piston, crankshaft, clutch…
    expect(names).not.toContain("baking.txt");
  });

  it("builds the second query from the feedback's words, the query counted twice; none from a single hit", () => {
    const hits = [
      { text: "piston piston cylinder crankshaft", score: 2 },
      { text: "piston clutch", score: 1 },
    ];
    const q = expandedQuery("automobile", hits, { feedbackChunks: 10, terms: 2, queryWeight: 2, firstPassWeight: 0.35 });
    expect(q).toBe("automobile automobile piston cylinder");
    expect(expandedQuery("automobile", hits.slice(0, 1))).toBeNull();
    // Function words never take a slot, nor the query's own words.
    expect(expandedQuery("engine", [{ text: "the engine and the of with", score: 1 }, { text: "engine with the", score: 1 }])).toBeNull();
  });
});
