/**
 * FileSearchService.search over fakes: its wait for files still indexing ends on the settle notification (no
 * timer involved), and a cancelled run's signal reaches the embedder computing the query's vector.
 */
import { describe, expect, it } from "vitest";
import type { SearchScope } from "../../src/retrieval/file-search.js";
import { KeyedCondition } from "../../src/concurrency/keyed-condition.js";
import type { Embedder } from "../../src/llm/chat-model.js";
import { FileSearchService } from "../../src/retrieval/file-search.js";
import { StoreSearch } from "../../src/retrieval/store-search.js";

const SCOPE: SearchScope = { vectorStoreIds: ["vs_1"], tools: [{ type: "file_search" }] };

/** Lets pending callbacks run: a 50 ms poll would not have fired by then. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A service over store vs_1, with `inProgress` files indexing and `search` as its searcher. */
function service(search: Pick<StoreSearch, "search">, inProgress: { n: number }) {
  const settled = new KeyedCondition<string>();
  const files = new FileSearchService({
    storeFiles: { counts: () => ({ in_progress: inProgress.n, completed: 1, failed: 0, cancelled: 0, total: inProgress.n + 1 }) },
    search,
    stores: { exists: () => true, find: () => undefined as never, touch: () => {} },
    settled,
  });
  return { files, settled };
}

describe("FileSearchService.search", () => {
  it("waits for files indexing and searches as soon as the store's files settle", async () => {
    const inProgress = { n: 1 };
    const searched: string[] = [];
    const { files, settled } = service({ search: async (_ids, query) => (searched.push(query), []) }, inProgress);
    let done = false;
    const call = files.search(SCOPE, "titan", new AbortController().signal).then(() => (done = true));
    await turn();
    expect(searched).toEqual([]); // still waiting
    settled.notify("vs_1"); // told, but a file is still in progress
    await turn();
    expect(searched).toEqual([]);
    inProgress.n = 0;
    settled.notify("vs_1");
    await turn();
    expect(searched).toEqual(["titan"]);
    expect(done).toBe(true);
    await call;
  });

  it("a cancelled run stops waiting, with the cancel's reason", async () => {
    const { files } = service({ search: async () => [] }, { n: 1 });
    const abort = new AbortController();
    const call = files.search(SCOPE, "titan", abort.signal);
    await turn();
    abort.abort(new Error("run cancelled"));
    await expect(call).rejects.toThrow("run cancelled");
  });

  it("a cancelled run aborts its query's embedding, and searches nothing by BM25 instead", async () => {
    let embedSignal: AbortSignal | undefined;
    const embedder: Embedder = {
      model: "nomic-embed-text",
      // Answers only when aborted, as a slow embedding model would be interrupted.
      embed: (_texts, signal) =>
        new Promise((_resolve, reject) => {
          embedSignal = signal;
          signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
        }),
    };
    const indexSearches: unknown[] = [];
    const search = new StoreSearch({
      index: { search: async (...args: unknown[]) => (indexSearches.push(args), []) } as never,
      storeFiles: { counts: () => ({ in_progress: 0 }) } as never,
      indexSettings: { get: () => ({ embedding_model: "nomic-embed-text", dims: 64 }) } as never,
      files: { get: () => null } as never,
      embedderFor: () => embedder,
    });
    const { files } = service(search, { n: 0 });
    const abort = new AbortController();
    const call = files.search(SCOPE, "titan", abort.signal);
    await turn();
    expect(embedSignal).toBeDefined();
    expect(embedSignal!.aborted).toBe(false);
    abort.abort(new Error("run cancelled"));
    await expect(call).rejects.toThrow("run cancelled");
    expect(embedSignal!.aborted).toBe(true);
    expect(indexSearches).toEqual([]);
  });
});
