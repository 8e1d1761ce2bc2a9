/**
 * A file's chunks are written while its pages still arrive, before it is completed. A search of the store
 * meanwhile must neither return them nor lose places in its top k to them. (A hybrid store: its exact
 * vector search reads every row, written or indexed; without the restriction to completed files the held
 * file's rows took all five places here and the search answered nothing.)
 */
import { describe, expect, it } from "vitest";
import type { PdfPage, PdfReader } from "../../src/files/pdf-reader.js";
import { search, settle, upload, useVsApp } from "../helpers/vector-stores.js";
import { waitFor } from "../helpers/runs.js";

/** A "PDF" whose 80 pages arrive at once, then the 81st only when the test releases it. */
function heldReader() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { pagesGiven: 0 };
  const reader: PdfReader = {
    async *pages(): AsyncGenerator<PdfPage> {
      for (let page = 1; page <= 81; page++) {
        if (page === 81) await released;
        state.pagesGiven = page;
        yield { page, text: `Page ${page}. ${"The aqueduct aqueduct aqueduct carried water. ".repeat(12)}` };
      }
    },
    close: async () => {},
  };
  return { reader, state, release };
}

const SMALL = { type: "static" as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };

describe("searching a store while one of its files is being indexed", () => {
  const held = heldReader();
  const app = useVsApp({}, {}, { pdf: held.reader });

  it("returns the completed files' best chunks only, as many as asked for", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    // ~80 short notes: about 10 chunks of 100 tokens, every one about the aqueduct.
    const notes = Array.from({ length: 80 }, (_, i) => `Note ${i}: the old aqueduct near gate ${i} still stands.`).join("\n\n");
    const done = await upload(t, notes, "notes.txt");
    await t.client.vectorStores.files.create(store.id, { file_id: done.id, chunking_strategy: SMALL });
    await settle(t);

    const pdfFile = await upload(t, "%PDF-1.4 held by the test", "held.pdf");
    try {
      await t.client.vectorStores.files.create(store.id, { file_id: pdfFile.id, chunking_strategy: SMALL });
      await waitFor(() => held.state.pagesGiven >= 80, 5000, "80 pages read");
      await new Promise((resolve) => setTimeout(resolve, 200)); // the first chunks' write lands meanwhile
      expect((await t.client.vectorStores.files.retrieve(pdfFile.id, { vector_store_id: store.id })).status).toBe("in_progress");

      const hits = await search(t, store.id, { query: "aqueduct", max_num_results: 5 });
      expect(hits.map((h) => h.file_id)).toEqual(Array(5).fill(done.id));
    } finally {
      held.release();
    }
    await settle(t);
    const after = await search(t, store.id, { query: "aqueduct", max_num_results: 5 });
    expect(after.map((h) => h.file_id)).toContain(pdfFile.id);
  });
});
