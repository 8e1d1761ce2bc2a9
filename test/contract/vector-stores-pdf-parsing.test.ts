/**
 * PDF parsing through the API. Limits: a PDF that takes too long or needs too much memory fails alone, with a
 * message naming the limit; the other files of its batch complete and the server goes on. Stopping: a file
 * cancelled or removed while its PDF parses stops the parse, not just the bookkeeping.
 */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { PdfReader } from "../../src/files/pdf-reader.js";
import { WorkerPdfReader } from "../../src/files/pdf-worker-reader.js";
import { pageTreeBomb } from "../helpers/pdf-bombs.js";
import { contentOf, pdf, search, settle, storeOf, upload, useVsApp } from "../helpers/vector-stores.js";

/** The server's PDF worker, counting the pages it hands out. */
function countingReader(): PdfReader & { pagesRead: number } {
  const worker = new WorkerPdfReader({ timeoutMs: 60_000, memoryMb: null, idleMs: 60_000 });
  const reader = {
    pagesRead: 0,
    async *pages(bytes: Uint8Array, signal?: AbortSignal) {
      for await (const page of worker.pages(bytes, signal)) {
        reader.pagesRead += 1;
        yield page;
      }
    },
    close: () => worker.close(),
  };
  return reader;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("PDF parsing threads (PDF_PARSE_THREADS)", () => {
  const one = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_THREADS: "1" });
  const two = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_THREADS: "2" });

  it("a long PDF parsed by two threads gives the same chunks and search results as by one", async () => {
    const stored = async (t: ReturnType<typeof one>) => {
      const { store, ids } = await storeOf(t, { "long.pdf": pdf("GeoTopo-komprimiert.pdf") });
      const file = await t.client.vectorStores.files.retrieve(ids["long.pdf"]!, { vector_store_id: store.id });
      expect(file.status).toBe("completed");
      const hits = await search(t, store.id, { query: "Hausdorff-Raum kompakt", max_num_results: 5 });
      return { content: await contentOf(t, store.id, file.id), usage: file.usage_bytes, hits: hits.map((h) => [h.score, h.content]) };
    };
    const [byOne, byTwo] = [await stored(one()), await stored(two())];
    expect(byOne.content.length).toBeGreaterThan(100_000);
    expect(byOne.hits).toHaveLength(5);
    expect(byTwo).toEqual(byOne);
  });

  it("defaults to two threads where there are two CPUs, one where there is one; 0 is refused", () => {
    expect(loadConfig({}).pdf.threads).toBe(Math.min(2, availableParallelism()));
    expect(loadConfig({ PDF_PARSE_THREADS: "3" }).pdf.threads).toBe(3);
    expect(() => loadConfig({ PDF_PARSE_THREADS: "0" })).toThrow(ConfigError);
  });
});

describe("PDF parsing limits", () => {
  describe("time (PDF_PARSE_TIMEOUT_MS)", () => {
    // The limit is far from both sides, so a busy machine cannot flip the outcome: 2,048 pages of 5,000 words
    // each (a page tree reusing one page) take ~25 s to parse here (~13 s on two threads), the 4-page PDF ~0.1 s.
    const app = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_TIMEOUT_MS: "3000" });

    it("fails the PDF that overruns the limit; small PDFs and text files of the batch complete", async () => {
      const t = app();
      const { store, ids } = await storeOf(t, {
        "long.pdf": pageTreeBomb(11, Array.from({ length: 5000 }, (_, i) => `word${i}`).join(") Tj (")),
        "short.pdf": pdf("pdflatex-4-pages.pdf"),
        "notes.txt": "Quartermaster inventory: forty lanterns.",
      });
      const long = await t.client.vectorStores.files.retrieve(ids["long.pdf"]!, { vector_store_id: store.id });
      expect(long.status).toBe("failed");
      expect(long.last_error).toEqual({
        code: "invalid_file",
        message: "could not parse PDF: parsing took longer than 3 s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files",
      });
      for (const name of ["short.pdf", "notes.txt"]) {
        expect((await t.client.vectorStores.files.retrieve(ids[name]!, { vector_store_id: store.id })).status).toBe("completed");
      }
      expect((await t.client.vectorStores.retrieve(store.id)).file_counts).toMatchObject({ completed: 2, failed: 1, total: 3 });
      const hits = await search(t, store.id, { query: "lanterns quartermaster" });
      expect(hits[0]?.filename).toBe("notes.txt");
    });
  });

  describe("memory (PDF_PARSE_MEMORY_MB)", () => {
    // 16 MB is less than pdf.js needs for these two large documents: the worker runs out of heap on each. (The
    // small ones can fit under some GC timings, which failed CI once.)
    const app = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_MEMORY_MB: "16" });

    it("fails each PDF with the limit in its message; text files complete and the API answers", async () => {
      const t = app();
      const { store, ids } = await storeOf(t, { "a.pdf": pdf("GeoTopo-komprimiert.pdf"), "b.pdf": pdf("federal-register-2020-17221.pdf"), "notes.txt": "Zeppelin mooring mast." });
      for (const name of ["a.pdf", "b.pdf"]) {
        const file = await t.client.vectorStores.files.retrieve(ids[name]!, { vector_store_id: store.id });
        expect(file.status).toBe("failed");
        expect(file.last_error?.code).toBe("invalid_file");
        expect(file.last_error?.message).toBe(
          "could not parse PDF: the PDF needs more memory than the parser may use (16 MB, PDF_PARSE_MEMORY_MB): split it into smaller files",
        );
      }
      expect((await t.client.vectorStores.files.retrieve(ids["notes.txt"]!, { vector_store_id: store.id })).status).toBe("completed");
      await settle(t);
      expect((await t.client.vectorStores.list()).data.map((s) => s.id)).toContain(store.id);
    });
  });

  describe("stopping", () => {
    const reader = countingReader();
    const app = useVsApp({ EMBEDDING_MODEL: "" }, {}, { pdf: reader });

    it("cancelling a batch, or removing a file, stops its PDF mid-parse; nothing of it is searchable", async () => {
      const t = app();
      const store = await t.client.vectorStores.create({});
      const long = await upload(t, pdf("GeoTopo-komprimiert.pdf"), "long.pdf");
      const batch = await t.client.vectorStores.fileBatches.create(store.id, { file_ids: [long.id] });
      await until(() => reader.pagesRead >= 3);
      const cancelled = await t.client.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id });
      expect(cancelled.status).toBe("cancelled");
      await settle(t);
      expect(reader.pagesRead).toBeLessThan(117);
      expect((await t.client.vectorStores.files.retrieve(long.id, { vector_store_id: store.id })).status).toBe("cancelled");
      expect(await contentOf(t, store.id, long.id)).toBe("");

      const before = reader.pagesRead;
      await t.client.vectorStores.files.create(store.id, { file_id: long.id });
      await until(() => reader.pagesRead >= before + 3);
      await t.client.vectorStores.files.delete(long.id, { vector_store_id: store.id });
      await settle(t);
      expect(reader.pagesRead - before).toBeLessThan(117);
      expect(await search(t, store.id, { query: "Topologie Raum" })).toEqual([]);

      // The worker goes on with the next PDF.
      const short = await upload(t, pdf("pdflatex-4-pages.pdf"), "short.pdf");
      await t.client.vectorStores.files.create(store.id, { file_id: short.id });
      await settle(t);
      expect((await t.client.vectorStores.files.retrieve(short.id, { vector_store_id: store.id })).status).toBe("completed");
    });
  });
});
