/**
 * The PDF worker's limits through the API: a PDF that takes too long or needs too much memory fails alone, with
 * a message naming the limit; the other files of its batch complete and the server goes on.
 */
import { describe, expect, it } from "vitest";
import { pdf, search, settle, storeOf, useVsApp } from "../helpers/vector-stores.js";

describe("PDF parsing limits", () => {
  describe("time (PDF_PARSE_TIMEOUT_MS)", () => {
    const app = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_TIMEOUT_MS: "500" });

    it("fails the PDF that overruns the limit; small PDFs and text files of the batch complete", async () => {
      const t = app();
      // In a fresh worker the 117-page PDF takes ~1.1 s to parse, the 4-page one ~0.1 s (~20 ms once warm).
      const { store, ids } = await storeOf(t, {
        "long.pdf": pdf("GeoTopo-komprimiert.pdf"),
        "short.pdf": pdf("pdflatex-4-pages.pdf"),
        "notes.txt": "Quartermaster inventory: forty lanterns.",
      });
      const long = await t.client.vectorStores.files.retrieve(ids["long.pdf"]!, { vector_store_id: store.id });
      expect(long.status).toBe("failed");
      expect(long.last_error).toEqual({
        code: "invalid_file",
        message: "could not parse PDF: parsing took longer than 0.5 s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files",
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
    // 16 MB is less than pdf.js needs for any document: the worker runs out of heap on every PDF.
    const app = useVsApp({ EMBEDDING_MODEL: "", PDF_PARSE_MEMORY_MB: "16" });

    it("fails each PDF with the limit in its message; text files complete and the API answers", async () => {
      const t = app();
      const { store, ids } = await storeOf(t, { "a.pdf": pdf("pdflatex-4-pages.pdf"), "b.pdf": pdf("multicolumn.pdf"), "notes.txt": "Zeppelin mooring mast." });
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
});
