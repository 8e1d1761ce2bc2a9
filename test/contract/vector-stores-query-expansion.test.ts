/**
 * BM25 search with pseudo-relevance feedback (src/retrieval/query-expansion.ts): a file that never uses the
 * query's word but shares the vocabulary of the files that do is found too, ranked after them; the candidates
 * are re-scored with the added words (rare ones weighing more); with no feedback to learn from, only the query's
 * own words count.
 */
import { describe, expect, it } from "vitest";
import type { Ranked } from "../../src/retrieval/fusion.js";
import { DEFAULT_EXPANSION, expansionTerms, rescore } from "../../src/retrieval/query-expansion.js";
import { TermStats } from "../../src/retrieval/term-stats.js";
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

  it("adds the feedback's heaviest words; none from a single hit, nor function words or the query's own", () => {
    const hits = [
      { text: "piston piston cylinder crankshaft", score: 2 },
      { text: "piston clutch", score: 1 },
    ];
    const options = { ...DEFAULT_EXPANSION, terms: 2 };
    const added = expansionTerms("automobile", hits, options);
    expect(added.map((t) => t.word)).toEqual(["piston", "cylinder"]);
    expect(added[0]!.weight).toBe(1); // weights are each word's P(w | feedback) over the heaviest's
    expect(added[1]!.weight).toBeGreaterThan(0);
    expect(added[1]!.weight).toBeLessThan(1);
    expect(expansionTerms("automobile", hits.slice(0, 1), options)).toEqual([]);
    expect(expansionTerms("engine", [{ text: "the engine and the of with", score: 1 }, { text: "engine with the", score: 1 }], options)).toEqual([]);
  });

  it("re-scores candidates with the added words, a rare word lifting more than a common one", () => {
    // "torque" is in one chunk of the store, "engine" in nearly all: the chunk with torque moves up.
    const stats = new TermStats([...Array<string>(20).fill("engine oil"), "torque engine", "engine"]);
    const candidate = (key: string, raw: number, text: string): Ranked<string> => ({ key, raw, item: text });
    const first = [candidate("a", 1.0, "engine engine"), candidate("b", 0.9, "engine torque"), candidate("c", 0.9, "engine oil")];
    const terms = (words: string[]) => words.map((word) => ({ word, weight: 1 }));
    const order = (added: string[]) => rescore(first, terms(added), (t) => t, stats, DEFAULT_EXPANSION).map((c) => c.key);
    expect(order(["torque", "oil"])).toEqual(["b", "a", "c"]); // b and c tied before; the rare word passes the first
    expect(order(["oil"])).toEqual(["a", "c", "b"]); // the common word breaks the tie, no more
    expect(order([])).toEqual(["a", "b", "c"]);
    const scores = rescore(first, terms(["torque"]), (t) => t, stats, DEFAULT_EXPANSION).map((c) => c.raw);
    expect(scores.every((s) => s > 0 && s <= 1)).toBe(true); // each part over its best: 0..1
    // A light added word lifts less: at a hundredth of its weight, the rare torque counts less than the common oil.
    const light = rescore(first, [{ word: "torque", weight: 0.01 }, { word: "oil", weight: 1 }], (t) => t, stats, DEFAULT_EXPANSION);
    expect(light.map((c) => c.key)).toEqual(["a", "c", "b"]);
  });
});
