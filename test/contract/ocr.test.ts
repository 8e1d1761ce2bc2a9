/**
 * OCR for search through the API: scanned PDFs and images added to vector stores are read by Tesseract
 * (tesseract.js, trained data from node_modules) and become searchable, with the PDF page each passage is on.
 * The scans are made here: pages of the shared text PDFs drawn at 150 dpi with pdf-parse, cropped to a few
 * lines (OCR of a few lines takes well under a second here), and stored as PNG, TIFF or image-only PDFs.
 * Limits (pages, time, pixels) fail their file alone with a message naming the variable; removing a file
 * stops its OCR.
 */
import fs from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import type OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { makeTestApp } from "../helpers/test-app.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { photoOf } from "../helpers/photos.js";
import { blankRaster, blankScanPdf, crop, inkRows, pdfOf, pngHeaderOnly, pngOf, renderPdfPage, tiffOf, type Raster } from "../helpers/scans.js";
import { contentOf, pdf, search, settle, storeOf, upload, useVsApp } from "../helpers/vector-stores.js";

type FileSearchCall = OpenAI.Beta.Threads.Runs.FileSearchToolCall;
type ToolCallsDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;

const DPI = 150;

/** The top `lines` lines of text of page 1 of a shared PDF, drawn at 150 dpi. */
async function scanOf(file: string, lines: number): Promise<Raster> {
  const page = await renderPdfPage(pdf(file), 1, DPI);
  const rows = inkRows(page);
  return crop(page, rows[0]!.top, rows[lines - 1]!.bottom - rows[0]!.top);
}

/** "Hello, here is some text without a meaning. … “Huardest gefburn”? Kjift – not at all! …" (5 lines). */
let blindText: Raster;
/** "Two-Column Document with Lorem Ipsum / Your Name / January 3, 2024". */
let title: Raster;

beforeAll(async () => {
  blindText = await scanOf("pdflatex-4-pages.pdf", 5);
  title = await scanOf("multicolumn.pdf", 3);
});

/** The OCR stats of the app (services.ocr is on: OCR_LANGUAGES defaults to eng). */
function ocrStats(t: RunTestApp) {
  return t.services.ocr!.stats();
}

/**
 * What a run's file_search finds for `query` in `storeId`: its results in rank order with the page each
 * passage starts on (the run step's `page`, the page the 【n†file, p. N】 citations name).
 */
async function fileSearch(t: RunTestApp, storeId: string, query: string): Promise<Array<{ file: string; page: number | undefined; text: string }>> {
  const assistant = await t.assistant({ tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [storeId] } } });
  const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: `Where does it say ${query}?` }] });
  t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query } }] }, { text: "Noted." });
  const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
  expect(run.status).toBe("completed");
  const steps = await t.client.beta.threads.runs.steps.list(run.id, {
    thread_id: thread.id,
    include: ["step_details.tool_calls[*].file_search.results[*].content"],
  });
  const step = steps.data.find((s) => s.step_details.type === "tool_calls")!;
  const call = (step.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
  return call.file_search.results!.map((r) => ({ file: r.file_name, page: (r as { page?: number }).page, text: r.content?.map((c) => c.text).join(" ") ?? "" }));
}

async function fileOf(t: RunTestApp, storeId: string, fileId: string) {
  return t.client.vectorStores.files.retrieve(fileId, { vector_store_id: storeId });
}

/** One sentence over six lines (no sentence end inside it), ~70 tokens: a text layer filling a small chunk. */
const TEXT_PAGE = [
  "The zeppelin quartermaster keeps a ledger of forty brass lanterns",
  "and nine coils of hemp rope stored in the aft gondola beside the",
  "ballast tanks where the riggers check every seam and every valve",
  "before the airship leaves the mooring mast at the Lakehurst field",
  "with its crew of twelve and the mail for the western provinces",
  "bound for the harbour towns along the northern coast",
].join("\n");

describe("OCR of scanned PDFs and images (vector stores)", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  it("a scanned PDF (page images only) completes, and its words are found on the page they are on", async () => {
    const t = app();
    const before = ocrStats(t).pagesRecognized;
    // Page 1 an empty scan (a cover), page 2 the scanned text.
    const scan = pdfOf([{ image: blankRaster(1240, 400), dpi: DPI }, { image: blindText, dpi: DPI }]);
    const { store, ids } = await storeOf(t, { "scan.pdf": scan });
    const file = await fileOf(t, store.id, ids["scan.pdf"]!);
    expect(file.status).toBe("completed");
    expect(file.last_error).toBeNull();
    expect(file.usage_bytes).toBeGreaterThan(300);
    expect(file).not.toHaveProperty("progress"); // only while it is read
    expect(ocrStats(t).pagesRecognized - before).toBe(2);

    const hits = await search(t, store.id, { query: "Huardest gefburn Kjift" });
    expect(hits[0]?.filename).toBe("scan.pdf");
    expect(hits[0]!.content[0]!.text).toMatch(/Huardest gefburn/);
    expect(hits[0]!.content[0]!.text).toMatch(/Hello, here is some text without a meaning/);
    const found = await fileSearch(t, store.id, "Huardest gefburn Kjift");
    expect(found[0]).toMatchObject({ file: "scan.pdf", page: 2 });

    // Offline by construction: the trained data is read from node_modules, and nothing is cached anywhere.
    for (const dir of [process.cwd(), REPO_ROOT, t.dataDir]) expect(fs.readdirSync(dir).filter((f) => f.includes("traineddata"))).toEqual([]);
  });

  it("a PNG and a TIFF of rendered text are searchable", async () => {
    const t = app();
    const { store, ids } = await storeOf(t, { "title.png": pngOf(title), "blind.tiff": tiffOf(blindText) });
    for (const id of Object.values(ids)) expect(await fileOf(t, store.id, id)).toMatchObject({ status: "completed", last_error: null });
    expect(await contentOf(t, store.id, ids["title.png"]!)).toBe("Two-Column Document with Lorem Ipsum\nYour Name\nJanuary 3, 2024");
    expect((await search(t, store.id, { query: "Lorem Ipsum document" }))[0]?.filename).toBe("title.png");
    expect((await search(t, store.id, { query: "Huardest gefburn" }))[0]?.filename).toBe("blind.tiff");
    expect(ocrStats(t).imagesRecognized).toBe(2);
  });

  it("photos of a page (colour, uneven light, noise, turned 1.5°) as a JPEG and an RGB PNG are searchable", async () => {
    const t = app();
    const photos = { "photo.jpg": await photoOf(blindText, { format: "jpeg" }), "photo.png": await photoOf(blindText, { format: "png" }) };
    expect([...photos["photo.jpg"].subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]); // a real JPEG
    const { store, ids } = await storeOf(t, photos);
    for (const name of Object.keys(photos)) {
      expect(await fileOf(t, store.id, ids[name]!)).toMatchObject({ status: "completed", last_error: null });
      expect(await contentOf(t, store.id, ids[name]!)).toMatch(/Hello, here is some text without a meaning/);
    }
    const hits = await search(t, store.id, { query: "Huardest gefburn Kjift" });
    expect(hits.map((h) => h.filename).sort()).toEqual(["photo.jpg", "photo.png"]);
  });

  it("a mixed PDF: only the page without a text layer is OCR'd; both pages are found on their page", async () => {
    const t = app();
    const before = ocrStats(t).pagesRecognized;
    const mixed = pdfOf([{ text: TEXT_PAGE }, { image: blindText, dpi: DPI }]);
    const file = await upload(t, mixed, "mixed.pdf");
    // Small chunks, no overlap: a chunk never runs from the text page into the scan's passage on Kjift.
    const store = await t.client.vectorStores.create({ file_ids: [file.id], chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });
    await settle(t);
    expect((await fileOf(t, store.id, file.id)).status).toBe("completed");
    expect(ocrStats(t).pagesRecognized - before).toBe(1);
    // The text page is its text layer exactly, not a reading of its pixels.
    const content = await contentOf(t, store.id, file.id);
    expect(content.startsWith(`${TEXT_PAGE}\n\n`)).toBe(true);
    expect(content).toMatch(/Huardest gefburn/);

    const onText = await fileSearch(t, store.id, "zeppelin quartermaster lanterns");
    expect(onText[0]).toMatchObject({ file: "mixed.pdf", page: 1 });
    expect(onText[0]!.text.startsWith(TEXT_PAGE)).toBe(true);
    const onScan = await fileSearch(t, store.id, "Kjift");
    expect(onScan[0]).toMatchObject({ file: "mixed.pdf", page: 2 });
    expect(onScan[0]!.text).toMatch(/Kjift/);
  });

  it("a 30,000 × 30,000 PNG fails at its header, alone; the other image of the store completes", async () => {
    const t = app();
    const { store, ids } = await storeOf(t, { "huge.png": pngHeaderOnly(30_000, 30_000), "title.png": pngOf(title) });
    expect(await fileOf(t, store.id, ids["huge.png"]!)).toMatchObject({
      status: "failed",
      last_error: {
        code: "invalid_file",
        message: "the image is 30000 × 30000 pixels (900 megapixels), more than the 100 megapixels OCR reads (OCR_MAX_MEGAPIXELS): scale it down, or raise OCR_MAX_MEGAPIXELS",
      },
    });
    expect((await fileOf(t, store.id, ids["title.png"]!)).status).toBe("completed");
    // The huge one never reached Tesseract.
    expect(ocrStats(t).imagesRecognized).toBe(1);
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts).toMatchObject({ completed: 1, failed: 1, total: 2 });
  });

  it("a PDF whose pages have no text layer and no text to read fails, saying so", async () => {
    const t = app();
    const { store, ids } = await storeOf(t, { "blank.pdf": blankScanPdf() });
    expect(await fileOf(t, store.id, ids["blank.pdf"]!)).toMatchObject({
      status: "failed",
      last_error: { code: "invalid_file", message: "no extractable text: the PDF has no text layer, and OCR found no text on its page" },
    });
  });

  it("removing a file from its store stops its OCR between pages", async () => {
    const t = app();
    const before = ocrStats(t).pagesRecognized;
    const long = pdfOf(Array.from({ length: 6 }, () => ({ image: blindText, dpi: DPI })));
    const file = await upload(t, long, "long-scan.pdf");
    const store = await t.client.vectorStores.create({ file_ids: [file.id] });
    // In progress while it is read, with the pages done so far: on the file itself (retrieved and listed).
    const progressOf = async () => ((await fileOf(t, store.id, file.id)) as { progress?: { pages_done: number; pages_total: number | null } }).progress;
    await until(async () => ((await progressOf())?.pages_done ?? 0) >= 1);
    const reading = await fileOf(t, store.id, file.id);
    expect(reading.status).toBe("in_progress");
    const { pages_done } = (await progressOf())!;
    expect(pages_done).toBeGreaterThanOrEqual(1);
    expect(pages_done).toBeLessThan(6);
    expect(await progressOf()).toEqual({ pages_done: expect.any(Number), pages_total: 6 });
    const listed = (await t.client.vectorStores.files.list(store.id)).data[0] as unknown as { progress?: { pages_total: number } };
    expect(listed.progress?.pages_total).toBe(6);
    expect(ocrStats(t).active).toEqual([{ kind: "pdf", pagesDone: expect.any(Number), pagesTotal: 6 }]);
    await t.client.vectorStores.files.delete(file.id, { vector_store_id: store.id });
    await settle(t);
    const read = ocrStats(t).pagesRecognized - before;
    expect(read).toBeLessThan(6);
    expect(ocrStats(t).active).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(ocrStats(t).pagesRecognized - before).toBe(read); // nothing goes on in the background
    expect(await search(t, store.id, { query: "Huardest gefburn" })).toEqual([]);
  });
});

describe("OCR limits", () => {
  describe("pages (OCR_MAX_PAGES)", () => {
    const app = useVsApp({ EMBEDDING_MODEL: "", OCR_MAX_PAGES: "2" });

    it("a PDF with more pages to OCR fails before any is read; a text PDF of the store completes", async () => {
      const t = app();
      const three = pdfOf(Array.from({ length: 3 }, () => ({ image: blankRaster(), dpi: DPI })));
      const { store, ids } = await storeOf(t, { "three.pdf": three, "four.pdf": pdf("pdflatex-4-pages.pdf") });
      expect(await fileOf(t, store.id, ids["three.pdf"]!)).toMatchObject({
        status: "failed",
        last_error: {
          code: "invalid_file",
          message: "the PDF has 3 pages without a text layer, more than the 2 OCR reads in one file (OCR_MAX_PAGES): split it into smaller files, or raise OCR_MAX_PAGES",
        },
      });
      expect(ocrStats(t).pagesRecognized).toBe(0);
      expect((await fileOf(t, store.id, ids["four.pdf"]!)).status).toBe("completed");
    });
  });

  describe("time (OCR_TIMEOUT_SECONDS)", () => {
    // Three pages take ~2 s or more here (the Tesseract thread's start alone ~0.7 s): far past 0.3 s.
    const app = useVsApp({ EMBEDDING_MODEL: "", OCR_TIMEOUT_SECONDS: "0.3" });

    it("a file whose OCR overruns the limit fails with it; the next file completes", async () => {
      const t = app();
      const slow = pdfOf(Array.from({ length: 3 }, () => ({ image: blindText, dpi: DPI })));
      const { store, ids } = await storeOf(t, { "slow.pdf": slow, "notes.txt": "Quartermaster inventory: forty lanterns." });
      expect(await fileOf(t, store.id, ids["slow.pdf"]!)).toMatchObject({
        status: "failed",
        last_error: { code: "invalid_file", message: "OCR took longer than 0.3 s (OCR_TIMEOUT_SECONDS): split the file into smaller ones, or raise OCR_TIMEOUT_SECONDS" },
      });
      expect(ocrStats(t).pagesRecognized).toBeLessThan(3);
      expect((await fileOf(t, store.id, ids["notes.txt"]!)).status).toBe("completed");
    });
  });
});

describe("OCR configuration", () => {
  it("defaults: English, one Tesseract thread on ≤ 2 CPUs, 200 pages, 600 s, 100 megapixels; empty turns OCR off", () => {
    const ocr = loadConfig({}).ocr!;
    expect(ocr.languages).toEqual(["eng"]);
    expect(ocr).toMatchObject({ maxPages: 200, timeoutMs: 600_000, maxPixels: 100_000_000 });
    if (availableParallelism() <= 2) expect(ocr.workers).toBe(1);
    expect(loadConfig({ OCR_LANGUAGES: "eng+deu", OCR_WORKERS: "3" }).ocr).toMatchObject({ languages: ["eng", "deu"], workers: 3 });
    expect(loadConfig({ OCR_LANGUAGES: "" }).ocr).toBeNull();
    expect(() => loadConfig({ OCR_LANGUAGES: "English!" })).toThrow(ConfigError);
    expect(() => loadConfig({ OCR_MAX_PAGES: "0" })).toThrow(ConfigError);
  });

  it("a language whose package is not installed stops the boot, naming the package to install", async () => {
    const dataDir = fs.mkdtempSync(path.join(tmpdir(), "la-ocr-boot-"));
    try {
      const boot = makeTestApp({ DATA_DIR: dataDir, OCR_LANGUAGES: "eng+qqx" });
      await expect(boot).rejects.toThrow(ConfigError);
      await expect(boot).rejects.toThrow(/OCR_LANGUAGES names "qqx", whose trained data is not installed: run `npm install @tesseract\.js-data\/qqx`/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe("off (OCR_LANGUAGES empty)", () => {
    const app = useVsApp({ EMBEDDING_MODEL: "", OCR_LANGUAGES: "" });

    it("images are refused and a scanned PDF fails as before", async () => {
      const t = app();
      expect(t.services.ocr).toBeNull();
      const { store, ids } = await storeOf(t, { "title.png": pngOf(title), "scan.pdf": pdfOf([{ image: title, dpi: DPI }]) });
      expect((await fileOf(t, store.id, ids["title.png"]!)).last_error).toEqual({ code: "unsupported_file", message: expect.stringMatching(/^unsupported file type '\.png': it is a PNG image/) });
      expect((await fileOf(t, store.id, ids["scan.pdf"]!)).last_error).toEqual({ code: "invalid_file", message: "no extractable text: scanned PDF? run OCR first" });
    });
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
