/**
 * A search's attribute filter is bounded (api/vector-stores.ts FILTER_LIMITS): too deep, too many nodes, too
 * long a string or too many `in` values → 400 naming `filters` and the limit, nothing searched; the largest
 * allowed filter still selects exactly the right files.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FILTER_LIMITS } from "../../src/api/vector-stores.js";
import { sdkError } from "../helpers/contract.js";
import { DOCS, search, settle, uploadAll, useVsApp } from "../helpers/vector-stores.js";

type Filter = NonNullable<OpenAI.VectorStores.VectorStoreSearchParams["filters"]>;

const nested = (depth: number): Filter => (depth <= 1 ? { type: "eq", key: "topic", value: "space" } : { type: "and", filters: [nested(depth - 1)] });

/** An `or` of `n` comparisons (n + 1 nodes), spread over ≤ 32-wide groups as the schema requires. */
function wide(n: number, leaf: (i: number) => Filter): Filter {
  const leaves = Array.from({ length: n }, (_, i) => leaf(i));
  const groups: Filter[] = [];
  for (let i = 0; i < leaves.length; i += 31) groups.push({ type: "or", filters: leaves.slice(i, i + 31) });
  return { type: "or", filters: groups };
}

describe("attribute filter bounds", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  async function store() {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const s = await t.client.vectorStores.create({ name: "bounds" });
    await t.client.vectorStores.fileBatches.create(s.id, {
      files: Object.entries(ids).map(([name, file_id]) => ({ file_id, attributes: { topic: name.replace(".txt", "") } })),
    } as OpenAI.VectorStores.FileBatchCreateParams);
    await settle(t);
    return { t, storeId: s.id, ids };
  }

  it("refuses a filter past any limit with a 400 naming filters and the limit", async () => {
    const { t, storeId } = await store();
    const groupsFor = (nodes: number) => Math.ceil(nodes / 31);
    const overNodes = FILTER_LIMITS.nodes; // comparisons + their groups + the root: just over the limit
    expect(overNodes + groupsFor(overNodes) + 1).toBeGreaterThan(FILTER_LIMITS.nodes);
    const cases: Array<[Filter, RegExp]> = [
      [nested(FILTER_LIMITS.depth + 1), new RegExp(`at most ${FILTER_LIMITS.depth} are allowed`)],
      [wide(overNodes, (i) => ({ type: "eq", key: "n", value: i })), new RegExp(`at most ${FILTER_LIMITS.nodes} are allowed`)],
      [{ type: "eq", key: "topic", value: "x".repeat(FILTER_LIMITS.stringChars + 1) }, new RegExp(`longer than ${FILTER_LIMITS.stringChars} characters`)],
      [{ type: "in", key: "topic", value: Array.from({ length: FILTER_LIMITS.inValues + 1 }, (_, i) => `v${i}`) }, new RegExp(`at most ${FILTER_LIMITS.inValues} are allowed`)],
    ];
    for (const [filters, message] of cases) {
      const err = await sdkError(t.client.vectorStores.search(storeId, { query: "Saturn", filters }), OpenAI.BadRequestError);
      expect(err.error.param).toMatch(/^filters/);
      expect(err.error.message).toMatch(message);
    }
  });

  it("the largest allowed filter selects exactly the right files", async () => {
    const { t, storeId, ids } = await store();
    // As many nodes as allowed, at the allowed depth, with full-size `in` lists (of 64-character strings: lists of
    // maximal strings in every node would pass MAX_JSON_BODY_BYTES first) and one maximal string.
    const filler = (i: number): Filter => ({ type: "in", key: "topic", value: Array.from({ length: FILTER_LIMITS.inValues }, (_, j) => `${i}-${j}-`.padEnd(i === 1 && j === 0 ? FILTER_LIMITS.stringChars : 64, "x")) });
    const leaves = FILTER_LIMITS.nodes - 1 - Math.ceil((FILTER_LIMITS.nodes - 1) / 32) - (FILTER_LIMITS.depth - 2);
    const big = wide(leaves - 1, (i) => (i === 0 ? { type: "eq", key: "topic", value: "saturn" } : filler(i)));
    let deep: Filter = big;
    for (let d = 2; d < FILTER_LIMITS.depth - 1; d++) deep = { type: "and", filters: [deep] };
    const hits = await search(t, storeId, { query: "Saturn magma sourdough", filters: deep, max_num_results: 50 });
    expect([...new Set(hits.map((h) => h.file_id))]).toEqual([ids["saturn.txt"]]);
  });
});
