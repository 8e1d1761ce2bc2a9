/**
 * Consecutive files of one store have their last chunks written to the index together (one LanceDB commit
 * for many small files). Through the API that must not show, except in speed: each file completes with its
 * own chunks, searchable; a long file after them does not hold them back; a file removed while its chunks
 * wait is not searchable, one re-added is written once, with its new chunking. (That a removed file's chunks
 * are not written at all is checked in test/unit/ingestor-groups.test.ts: here its removal deletes them anyway.)
 */
import { describe, expect, it } from "vitest";
import type { PdfPage, PdfReader } from "../../src/files/pdf-reader.js";
import { waitFor } from "../helpers/runs.js";
import { contentOf, search, settle, upload, useVsApp } from "../helpers/vector-stores.js";

/** A "PDF" of two pages about a lighthouse; the second arrives only once the test releases it. */
function heldPdfReader() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { started: false };
  const reader: PdfReader = {
    async *pages(): AsyncGenerator<PdfPage> {
      state.started = true;
      yield { page: 1, text: "The lighthouse keeper climbed the spiral stair every evening." };
      await released;
      yield { page: 2, text: "Its lamp burned whale oil until the lighthouse was electrified." };
    },
    close: async () => {},
  };
  return { reader, state, release };
}

const NOTES: Record<string, string> = {
  "glacier.txt": "Glaciers carve U-shaped valleys and leave moraines of rock behind when they retreat.",
  "orchard.txt": "The orchard grows apples and pears; the trees are pruned every winter.",
  "comet.txt": "A comet's tail points away from the Sun, pushed by the solar wind.",
};

/** Uploads NOTES, then a "PDF" for the held reader; returns the notes' file ids by name and the PDF's id. */
async function uploadNotesThenPdf(t: ReturnType<ReturnType<typeof useVsApp>>) {
  const ids: Record<string, string> = {};
  for (const [name, text] of Object.entries(NOTES)) ids[name] = (await upload(t, text, name)).id;
  const long = await upload(t, "%PDF-1.4 held by the test", "lighthouse.pdf");
  return { ids, long };
}

async function statusOf(t: ReturnType<ReturnType<typeof useVsApp>>, storeId: string, fileId: string): Promise<string> {
  return (await t.client.vectorStores.files.retrieve(fileId, { vector_store_id: storeId })).status;
}

describe("last chunks of consecutive files written together", () => {
  describe("a long file after small ones", () => {
    const held = heldPdfReader();
    const app = useVsApp({ EMBEDDING_MODEL: "" }, {}, { pdf: held.reader });

    it("does not hold them back: they complete, each searchable, while it is still being indexed", async () => {
      const t = app();
      const store = await t.client.vectorStores.create({});
      const { ids, long } = await uploadNotesThenPdf(t);
      try {
        await t.client.vectorStores.fileBatches.create(store.id, { file_ids: [...Object.values(ids), long.id] });
        await waitFor(() => held.state.started, 5000, "the PDF to start");
        for (const id of Object.values(ids)) await waitFor(async () => (await statusOf(t, store.id, id)) === "completed", 5000, `${id} completed`);
        expect(await statusOf(t, store.id, long.id)).toBe("in_progress");
        for (const [name, query] of [["glacier.txt", "moraines valleys"], ["orchard.txt", "apples pruned"], ["comet.txt", "solar wind tail"]] as const) {
          expect((await search(t, store.id, { query }))[0]?.file_id).toBe(ids[name]);
        }
      } finally {
        held.release();
      }
      await settle(t);
      expect(await statusOf(t, store.id, long.id)).toBe("completed");
      expect((await search(t, store.id, { query: "lighthouse lamp" }))[0]?.file_id).toBe(long.id);
      expect((await t.client.vectorStores.retrieve(store.id)).file_counts).toMatchObject({ completed: 4, total: 4 });
    });
  });

  describe("files changed while their chunks wait", () => {
    const held = heldPdfReader();
    // The held files' chunks wait until the long file is done (no timer writes them meanwhile).
    const app = useVsApp({ EMBEDDING_MODEL: "" }, {}, { pdf: held.reader, ingestGroupMs: 60_000 });

    it("a removed file is not searchable; a re-added one is written once, with its new chunking", async () => {
      const t = app();
      const store = await t.client.vectorStores.create({});
      const { ids, long } = await uploadNotesThenPdf(t);
      // Long enough for several chunks of 100 tokens.
      const atlas = await upload(t, Array.from({ length: 30 }, (_, i) => `Atlas sheet ${i} maps the fjord coast and its skerries.`).join("\n\n"), "atlas.txt");
      try {
        await t.client.vectorStores.fileBatches.create(store.id, { file_ids: [...Object.values(ids), atlas.id, long.id] });
        await waitFor(() => held.state.started, 5000, "the PDF to start");
        // The notes and the atlas are indexed and wait for the long file: still in progress.
        expect(await statusOf(t, store.id, ids["glacier.txt"]!)).toBe("in_progress");
        await t.client.vectorStores.files.delete(ids["glacier.txt"]!, { vector_store_id: store.id });
        const small = { type: "static" as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };
        await t.client.vectorStores.files.create(store.id, { file_id: atlas.id, chunking_strategy: small });
      } finally {
        held.release();
      }
      await settle(t);
      expect((await search(t, store.id, { query: "moraines valleys glaciers" })).map((h) => h.file_id)).not.toContain(ids["glacier.txt"]);
      for (const name of ["orchard.txt", "comet.txt"]) expect(await statusOf(t, store.id, ids[name]!)).toBe("completed");
      expect(await statusOf(t, store.id, atlas.id)).toBe("completed");

      // The atlas in a fresh store with the same chunking: the same chunks, none left over from the first.
      const reference = await t.client.vectorStores.create({});
      await t.client.vectorStores.files.create(reference.id, { file_id: atlas.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });
      await settle(t);
      const chunks = async (storeId: string) => (await t.client.vectorStores.files.content(atlas.id, { vector_store_id: storeId })).data.map((d) => d.text);
      expect((await chunks(reference.id)).length).toBeGreaterThan(2);
      expect(await chunks(store.id)).toEqual(await chunks(reference.id));
      expect(await contentOf(t, store.id, long.id)).toMatch(/lighthouse keeper[\s\S]*electrified/);
    });
  });
});
