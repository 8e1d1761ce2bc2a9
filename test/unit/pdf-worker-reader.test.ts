import { afterEach, describe, expect, it } from "vitest";
import { ExtractionError, extractText } from "../../src/files/extract-text.js";
import { inThreadPdfReader, PdfLimitError, type PdfPage, type PdfReader } from "../../src/files/pdf-reader.js";
import { WorkerPdfReader, type WorkerPdfReaderOptions } from "../../src/files/pdf-worker-reader.js";
import { deflateSync } from "node:zlib";
import { inflateBomb, pageTreeBomb } from "../helpers/pdf-bombs.js";
import { pdf } from "../helpers/vector-stores.js";

const DEFAULTS: WorkerPdfReaderOptions = { timeoutMs: 60_000, memoryMb: null, idleMs: 60_000 };
const readers: WorkerPdfReader[] = [];

function reader(options: Partial<WorkerPdfReaderOptions> = {}): WorkerPdfReader {
  const r = new WorkerPdfReader({ ...DEFAULTS, ...options });
  readers.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
});

async function allPages(r: PdfReader, bytes: Uint8Array, signal?: AbortSignal): Promise<PdfPage[]> {
  const pages: PdfPage[] = [];
  for await (const page of r.pages(bytes, signal)) pages.push(page);
  return pages;
}

/** Reads the 117-page PDF and aborts after page `at`: the pages seen and the error the loop ended with. */
async function abortAt(r: PdfReader, at: number): Promise<{ seen: number[]; err: Error }> {
  const controller = new AbortController();
  const seen: number[] = [];
  const err = await rejection(
    (async () => {
      for await (const page of r.pages(pdf("GeoTopo-komprimiert.pdf"), controller.signal)) {
        seen.push(page.page);
        if (page.page === at) controller.abort(new Error("cancelled by the test"));
      }
    })(),
  );
  return { seen, err };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe("WorkerPdfReader, two threads on a long document", () => {
  it("yields every page once and in order, parsed by both threads, as parsing in this thread does", async () => {
    const bytes = pdf("GeoTopo-komprimiert.pdf");
    const r = reader({ threads: 2 });
    const pages = await allPages(r, bytes);
    expect(pages.map((p) => p.page)).toEqual(Array.from({ length: 117 }, (_, i) => i + 1));
    expect(pages).toEqual(await allPages(inThreadPdfReader, bytes));
    expect(r.workerCount).toBe(2);
    // Shared, not one thread doing it all: the helper starts one document load later, so it gets fewer.
    expect(r.pagesParsed[0]! + r.pagesParsed[1]!).toBe(117);
    expect(r.pagesParsed[1]!).toBeGreaterThan(117 / 4);
  });

  it("parses a short document in one thread only", async () => {
    const r = reader({ threads: 2 });
    expect(await allPages(r, pdf("pdflatex-4-pages.pdf"))).toHaveLength(4);
    expect(r.workerCount).toBe(1);
    expect(r.pagesParsed).toEqual([4, 0]);
  });

  it("stops both threads at an abort; the next documents get none of its pages", async () => {
    const r = reader({ threads: 2 });
    const { seen, err } = await abortAt(r, 20);
    expect(err.message).toBe("cancelled by the test");
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Stopped through the page counter, not by terminating them: both threads are still there, and they
    // parsed little beyond what was read (each finishes the page it is in).
    expect(r.workerCount).toBe(2);
    expect(r.pagesParsed[0]! + r.pagesParsed[1]!).toBeLessThan(40);
    expect(await allPages(r, pdf("federal-register-2020-17221.pdf"))).toEqual(await allPages(inThreadPdfReader, pdf("federal-register-2020-17221.pdf")));
    expect(await allPages(r, pdf("multicolumn.pdf"))).toEqual(await allPages(inThreadPdfReader, pdf("multicolumn.pdf")));
  });

  it("a time limit stops both threads, and the next document parses in fresh ones", async () => {
    const r = reader({ threads: 2, timeoutMs: 150 });
    const err = await rejection(allPages(r, pdf("GeoTopo-komprimiert.pdf")));
    expect(err).toBeInstanceOf(PdfLimitError);
    expect(r.hasWorker).toBe(false);
    const next = reader({ threads: 2 });
    expect(await allPages(next, pdf("federal-register-2020-17221.pdf"))).toHaveLength(15);
  });
});

describe("WorkerPdfReader", () => {
  it("yields the same pages as parsing in this thread, in order", async () => {
    const bytes = pdf("pdflatex-4-pages.pdf");
    const viaWorker = await allPages(reader(), bytes);
    expect(viaWorker.map((p) => p.page)).toEqual([1, 2, 3, 4]);
    expect(viaWorker).toEqual(await allPages(inThreadPdfReader, bytes));
    // The caller's bytes are not detached by the transfer to the worker.
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it("hands out pages while later pages are still being parsed", async () => {
    const r = reader();
    await allPages(r, pdf("pdflatex-4-pages.pdf")); // start the worker: not part of what is measured
    const arrivals: number[] = [];
    const t0 = performance.now();
    for await (const _page of r.pages(pdf("GeoTopo-komprimiert.pdf"))) arrivals.push(performance.now() - t0);
    expect(arrivals).toHaveLength(117);
    // Streaming, not one batch at the end: the first page arrives well before the last.
    expect(arrivals[0]!).toBeLessThan(arrivals[116]! / 2);
  });

  it("serves concurrent callers one document at a time, each whole and in order", async () => {
    const r = reader();
    const [a, b, c] = await Promise.all([
      allPages(r, pdf("multicolumn.pdf")),
      allPages(r, pdf("pdflatex-4-pages.pdf")),
      allPages(r, pdf("nics-background-checks-2015-11.pdf")),
    ]);
    expect(a).toEqual(await allPages(inThreadPdfReader, pdf("multicolumn.pdf")));
    expect(b.map((p) => p.page)).toEqual([1, 2, 3, 4]);
    expect(b[0]!.text).toMatch(/^Hello, here is some text without a meaning/);
    expect(c).toHaveLength(1);
  });

  it("passes pdf.js errors through by name: extractText still explains a password-protected PDF", async () => {
    const err = await rejection(extractText(pdf("libreoffice-writer-password.pdf"), "secret.pdf", { pdf: reader() }));
    expect(err).toBeInstanceOf(ExtractionError);
    expect(err.message).toMatch(/password-protected/);
  });

  it("stops a parse that overruns its time limit, and parses the next document in a fresh worker", async () => {
    const r = reader({ timeoutMs: 150 });
    const err = await rejection(allPages(r, pdf("GeoTopo-komprimiert.pdf")));
    expect(err).toBeInstanceOf(PdfLimitError);
    expect(err.message).toMatch(/longer than 0\.2 s \(PDF_PARSE_TIMEOUT_MS\)/);
    const viaExtract = await rejection(extractText(pdf("GeoTopo-komprimiert.pdf"), "long.pdf", { pdf: r }));
    expect(viaExtract).toBeInstanceOf(ExtractionError);
    expect(viaExtract.message).toMatch(/^could not parse PDF: parsing took longer than/);
    const next = reader({ timeoutMs: 30_000 });
    expect(await allPages(next, pdf("pdflatex-4-pages.pdf"))).toHaveLength(4);
  });

  it("fails a document when the worker runs out of heap, naming the limit, and starts a new worker for the next", async () => {
    // 16 MB is far less than pdf.js needs for the 117-page document (24 MB parses it). A tiny document can
    // squeeze through in 16 MB when the young generation happens to absorb it, so both tries use the big one:
    // the second proves a fresh worker was started after the first one died.
    const r = reader({ memoryMb: 16 });
    for (const name of ["GeoTopo-komprimiert.pdf", "GeoTopo-komprimiert.pdf"]) {
      const err = await rejection(allPages(r, pdf(name)));
      expect(err).toBeInstanceOf(PdfLimitError);
      expect(err.message).toBe("the PDF needs more memory than the parser may use (16 MB, PDF_PARSE_MEMORY_MB): split it into smaller files");
      expect(r.hasWorker).toBe(false);
    }
  });

  it("stops at an abort, and the next document gets none of the stopped one's pages", async () => {
    const r = reader();
    const { seen, err } = await abortAt(r, 3);
    expect(err.message).toBe("cancelled by the test");
    expect(seen).toEqual([1, 2, 3]);
    expect(r.hasWorker).toBe(true); // stopped at a page boundary, not terminated
    expect(r.pagesParsed[0]!).toBeLessThan(20);
    expect(await allPages(r, pdf("pdflatex-4-pages.pdf"))).toEqual(await allPages(inThreadPdfReader, pdf("pdflatex-4-pages.pdf")));
  });

  it("workers that do not finish their page within the stop grace period are terminated; the next document gets fresh ones", async () => {
    // A grace of 0 ms: no page of the 117-page PDF parses that fast, so the stop always ends in a kill.
    const r = reader({ threads: 2, stopGraceMs: 0 });
    for await (const page of r.pages(pdf("GeoTopo-komprimiert.pdf"))) if (page.page === 30) break;
    expect(r.hasWorker).toBe(false);
    expect(await allPages(r, pdf("multicolumn.pdf"))).toEqual(await allPages(inThreadPdfReader, pdf("multicolumn.pdf")));
  });

  it("a caller that stops reading early frees the worker for the next document", async () => {
    const r = reader();
    for await (const page of r.pages(pdf("GeoTopo-komprimiert.pdf"))) if (page.page === 2) break;
    expect((await allPages(r, pdf("multicolumn.pdf"))).map((p) => p.page)).toEqual([1, 2, 3]);
  });

  it("starts its worker with the first document and stops it when idle", async () => {
    const r = reader({ idleMs: 100 });
    expect(r.hasWorker).toBe(false);
    await allPages(r, pdf("pdflatex-4-pages.pdf"));
    expect(r.hasWorker).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.hasWorker).toBe(false);
    expect(await allPages(r, pdf("pdflatex-4-pages.pdf"))).toHaveLength(4);
  });

  it("close() ends a parse in progress with an error", async () => {
    const r = reader();
    const parsing = allPages(r, pdf("GeoTopo-komprimiert.pdf"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await r.close();
    expect((await rejection(parsing)).message).toMatch(/closed/);
    expect((await rejection(allPages(r, pdf("pdflatex-4-pages.pdf")))).message).toMatch(/closed/);
  });
});

describe("WorkerPdfReader, page and inflated-size caps (PDF bombs made by the test)", () => {
  const LIMITS = { maxPages: 10_000, maxInflatedBytes: 8 * 1024 * 1024 };

  it("fails a page tree of 2^20 pages that reuses one node right after loading it, naming PDF_MAX_PAGES", async () => {
    const bomb = pageTreeBomb(20);
    expect(bomb.length).toBeLessThan(4096);
    const r = reader(LIMITS);
    const err = await rejection(allPages(r, bomb));
    expect(err).toBeInstanceOf(PdfLimitError);
    expect(err.message).toBe("the PDF has 1048576 pages, more than the 10000 allowed (PDF_MAX_PAGES): split it into smaller files");
    expect(r.pagesParsed).toEqual([0]);
    // The same tree, small enough, is a valid PDF whose pages all parse: the cap, not a broken file, stopped it.
    expect((await allPages(r, pageTreeBomb(3))).map((p) => p.text)).toEqual(Array(8).fill("page tree bomb"));
  });

  it("fails a content stream that inflates past the cap before pdf.js inflates it, naming PDF_MAX_INFLATED_MB", async () => {
    const bomb = await inflateBomb(64 * 1024 * 1024);
    const r = reader(LIMITS);
    const err = await rejection(allPages(r, bomb));
    expect(err).toBeInstanceOf(PdfLimitError);
    expect(err.message).toBe("the PDF's compressed streams inflate to more than 8 MB (PDF_MAX_INFLATED_MB): split it into smaller files");
    const viaExtract = await rejection(extractText(bomb, "bomb.pdf", { pdf: r }));
    expect(viaExtract).toBeInstanceOf(ExtractionError);
    expect(viaExtract.message).toBe(`could not parse PDF: ${err.message}`);
    // Below the cap the same construction parses, and the reader goes on with the next documents.
    expect((await allPages(r, await inflateBomb(4 * 1024 * 1024))).map((p) => p.text)).toEqual(["inflate bomb"]);
    expect(await allPages(r, pdf("GeoTopo-komprimiert.pdf"))).toHaveLength(117);
  });

  it("counts every FlateDecode layer: a doubly deflated stream cannot hide its size", async () => {
    const inner = await inflateBomb(64 * 1024 * 1024);
    // Re-deflate the content stream's data once more and declare both filters.
    const text = inner.toString("latin1");
    const start = text.indexOf("stream\n") + "stream\n".length;
    const end = text.indexOf("\nendstream");
    const twice = deflateSync(inner.subarray(start, end));
    const doubled = Buffer.concat([
      Buffer.from(text.slice(0, start).replace("/Filter /FlateDecode", "/Filter [/FlateDecode /FlateDecode]").replace(/\/Length \d+/, `/Length ${twice.length}`), "latin1"),
      twice,
      inner.subarray(end),
    ]);
    const err = await rejection(allPages(reader(LIMITS), doubled));
    expect(err.message).toContain("(PDF_MAX_INFLATED_MB)");
  });

  it("leaves the fixtures alone at the default caps", async () => {
    const r = reader({ maxPages: 10_000, maxInflatedBytes: 256 * 1024 * 1024 });
    for (const name of ["GeoTopo-komprimiert.pdf", "pdflatex-4-pages.pdf", "multicolumn.pdf"]) {
      expect(await allPages(r, pdf(name))).toEqual(await allPages(inThreadPdfReader, pdf(name)));
    }
  });
});

describe("pdf.js and the parsing thread's builtins", () => {
  // Taken before any PDF is parsed in this file: pdf.js's legacy build swaps in core-js polyfills when it loads.
  const nativePush = Array.prototype.push;
  const nativeJsonParse = JSON.parse;

  it("leaves Array.prototype.push and JSON.parse native after parsing (its polyfills made every push slower)", async () => {
    const pages = await allPages(inThreadPdfReader, pdf("pdflatex-4-pages.pdf"));
    expect(pages).toHaveLength(4);
    expect(Array.prototype.push).toBe(nativePush);
    expect(JSON.parse).toBe(nativeJsonParse);
    expect(Object.getOwnPropertyDescriptor(Array.prototype, "push")).toMatchObject({ writable: true, enumerable: false, configurable: true });
    // Still a working push and parse.
    const list: number[] = [];
    expect(list.push(1, 2)).toBe(2);
    expect(JSON.parse('{"a":[1]}')).toEqual({ a: [1] });
  });
});
