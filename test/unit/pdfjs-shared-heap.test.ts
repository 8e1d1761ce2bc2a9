import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { PDFParse } from "pdf-parse";
import type { PDFDocumentProxy, PDFWorker } from "pdfjs-dist/legacy/build/pdf.mjs";
import { sharedHeapWorker } from "../../src/files/pdfjs-shared-heap.mjs";

const PDFS = new URL("../fixtures/pdfs/", import.meta.url).pathname;

/** Opens `file` with `worker` (none: pdf.js's own cloning loopback), gives it to `read`, and destroys it after. */
async function withDocument<T>(file: string, worker: PDFWorker | undefined, read: (doc: PDFDocumentProxy) => Promise<T>): Promise<T> {
  const parser = new PDFParse({ data: new Uint8Array(readFileSync(PDFS + file)), verbosity: 0, ...(worker ? { worker } : {}) });
  try {
    // load() is what pdf-pages.mjs calls too; pdf-parse's types call it private.
    return await read(await (parser as unknown as { load(): Promise<PDFDocumentProxy> }).load());
  } finally {
    await parser.destroy();
  }
}

/**
 * Every page's text items as pdf.js gives them; font names without their document number (`g_d3_f1`: pdf.js
 * numbers documents as they open).
 */
function textItems(file: string, worker?: PDFWorker): Promise<unknown[][]> {
  return withDocument(file, worker, async (doc) => {
    const pages: unknown[][] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const { items } = await page.getTextContent();
      pages.push(items.map((item: object) => ("fontName" in item && typeof item.fontName === "string" ? { ...item, fontName: item.fontName.replace(/_d\d+_/, "_") } : item)));
      page.cleanup();
    }
    return pages;
  });
}

describe("pdf.js on a port that hands text over without a copy (pdfjs-shared-heap.mjs)", () => {
  it("gives the same text items, page for page, as pdf.js's own port", async () => {
    const worker = await sharedHeapWorker();
    // The long one sends its pages' text in several batches, the batch object reused by pdf.js after each.
    for (const file of ["GeoTopo-komprimiert.pdf", "federal-register-2020-17221.pdf", "multicolumn.pdf", "nics-background-checks-2015-11.pdf"]) {
      const shared = await textItems(file, worker);
      expect(shared.flat().length, file).toBeGreaterThan(10);
      expect(shared, file).toEqual(await textItems(file));
    }
  });

  it("serves documents one after another, and several at once; a destroyed document stops listening", async () => {
    const worker = await sharedHeapWorker();
    const listeners = () => (worker.port as unknown as { listenerCount: number }).listenerCount;
    const before = listeners();
    const files = ["pdflatex-4-pages.pdf", "multicolumn.pdf", "pdflatex-4-pages.pdf"];
    const together = await Promise.all(files.map((f) => textItems(f, worker)));
    expect(together[0]).toEqual(together[2]);
    expect(together[1]).toEqual(await textItems("multicolumn.pdf"));
    expect(listeners()).toBe(before);
  });

  it("leaves other streams to pdf.js's clone: a page's operator list, whose arrays pdf.js empties once sent, is whole", async () => {
    const worker = await sharedHeapWorker();
    const operators = (via?: PDFWorker) => withDocument("pdflatex-4-pages.pdf", via, async (doc) => (await (await doc.getPage(1)).getOperatorList()).fnArray);
    const own = await operators();
    expect(own.length).toBeGreaterThan(10);
    expect(await operators(worker)).toEqual(own);
  });

  it("is the pdf.js that pdf-parse loads (a PDFWorker of another copy would be ignored, and every message cloned again)", () => {
    const fromPdfParse = createRequire(createRequire(import.meta.url).resolve("pdf-parse")).resolve("pdfjs-dist/legacy/build/pdf.mjs");
    expect(createRequire(import.meta.url).resolve("pdfjs-dist/legacy/build/pdf.mjs")).toBe(fromPdfParse);
  });
});
