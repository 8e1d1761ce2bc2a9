/**
 * An embedding model that goes away in the middle of a store's first file: the store stays built for that
 * model (its first write decided it), the file fails, and once the model is back the store takes files again.
 */
import { describe, expect, it } from "vitest";
import { ModelError, type Embedder } from "../../src/llm/chat-model.js";
import { Chunker } from "../../src/retrieval/chunker.js";
import { hashEmbedding } from "../fakes/hash-embedding.js";
import { search, settle, upload, useVsApp } from "../helpers/vector-stores.js";

/** An embedder whose calls succeed while `up` is true and fail as unreachable otherwise; `failAfter` calls. */
function flakyEmbedder() {
  const state = { up: true, calls: 0, failAfter: Infinity };
  const embedder: Embedder = {
    model: "nomic-embed-text",
    async embed(texts) {
      state.calls += 1;
      if (!state.up || state.calls > state.failAfter) throw new ModelError("unreachable", "Ollama is not reachable at http://127.0.0.1:1");
      return texts.map((t) => hashEmbedding(t, 64));
    },
  };
  return { embedder, state };
}

// 700 sentences: with 100-token chunks, well over the 64 chunks written before the file's last write.
const LONG = Array.from({ length: 700 }, (_, i) => `Sentence ${i} describes the aqueduct number ${i % 13} of the old city in plain words.`).join(" ");
const SMALL = { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 };
// The text is one page: its first write holds the chunks that page decides, embedded 32 per call.
const FIRST_WRITE_CALLS = Math.ceil(new Chunker({ maxTokens: 100, overlapTokens: 0 }).push({ page: null, text: LONG }).length / 32);

describe("embedding model outage during a store's first file", () => {
  const flaky = flakyEmbedder();
  const app = useVsApp({}, {}, { embedder: flaky.embedder });

  it("the store keeps its embedding model; files fail while it is away and complete once it is back", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    // First file: its first write is embedded and written (creating the store's table), then the model goes away.
    expect(FIRST_WRITE_CALLS).toBeGreaterThanOrEqual(2);
    flaky.state.failAfter = FIRST_WRITE_CALLS;
    const first = await upload(t, LONG, "long.txt");
    await t.client.vectorStores.files.create(store.id, { file_id: first.id, chunking_strategy: { type: "static", static: SMALL } });
    await settle(t);
    const failed = await t.client.vectorStores.files.retrieve(first.id, { vector_store_id: store.id });
    expect(failed.status).toBe("failed");
    expect(failed.last_error?.message).toMatch(/^Could not embed the file: Ollama is not reachable/);

    // Still away: the next file fails the same way (the store is not silently switched to BM25).
    flaky.state.up = false;
    const second = await upload(t, "Roman aqueducts carried water into the city.", "short.txt");
    await t.client.vectorStores.files.create(store.id, { file_id: second.id });
    await settle(t);
    expect((await t.client.vectorStores.files.retrieve(second.id, { vector_store_id: store.id })).status).toBe("failed");

    // Back: both complete, and the store answers a search.
    flaky.state.up = true;
    flaky.state.failAfter = Infinity;
    for (const file of [first, second]) await t.client.vectorStores.files.create(store.id, { file_id: file.id, chunking_strategy: { type: "static", static: SMALL } });
    await settle(t);
    for (const file of [first, second]) {
      expect((await t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id })).status).toBe("completed");
    }
    expect((await search(t, store.id, { query: "aqueduct number 7" })).length).toBeGreaterThan(0);
  });
});
