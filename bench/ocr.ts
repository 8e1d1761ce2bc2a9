/**
 * OCR speed: pages per second of a scanned PDF through ingestion, beside tesseract.js alone on the same page
 * images, in the same run.
 *
 * - The scan: the 4 pages of pdflatex-4-pages.pdf drawn at 150 dpi and stored as an image-only PDF (no text
 *   layer), ~750 tokens of dense 10-point text per page.
 * - Baseline, tesseract.js alone: its public `createWorker` (one worker, trained data from node_modules,
 *   `cacheMethod: "none"`), warm, recognizing the images the server OCRs: the scan's pages drawn at the server's
 *   resolution (RENDER_DPI), drawn before the clock starts. The floor any pipeline built on tesseract.js pays.
 * - Through ingestion: the server (OCR_WORKERS default: 1 on 2 CPUs), its OCR threads warmed by one small scan
 *   first; then the scan is uploaded, a vector store made with it, and the clock stops when the vector store file
 *   is completed (the ingestor idle; its status read back over the API). That includes parsing the PDF, drawing
 *   each page (the render thread, on the other CPU while Tesseract reads the page before), chunking and indexing.
 * - Also: the API thread's longest event-loop stall while the scan is ingested.
 *
 *   npx tsx bench/ocr.ts [runs=2]
 *
 * Goal: through ingestion ≥ 0.9× the pages/s of tesseract.js alone.
 */
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createRequire } from "node:module";
import path from "node:path";
import { readFileSync } from "node:fs";
import { toFile } from "openai";
import { createWorker, OEM } from "tesseract.js";
import { RENDER_DPI } from "../src/files/ocr/ocr-reader.js";
import { crop, inkRows, pdfOf, renderPdfPage, type Raster } from "../test/helpers/scans.js";
import { median, openBenchApp, type BenchApp } from "./bench-app.js";
import { benchLine, round } from "./bench-report.js";

const RUNS = Number(process.argv[2] ?? 2);
const SOURCE = new URL("../test/fixtures/pdfs/pdflatex-4-pages.pdf", import.meta.url).pathname;
const PAGES = 4;
const SCAN_DPI = 150;
const require = createRequire(import.meta.url);
const LANG_PATH = path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int");

/** The scan: each page of the source drawn at 150 dpi, one image per page, no text layer. */
async function scannedPdf(): Promise<Buffer> {
  const source = readFileSync(SOURCE);
  const pages: Raster[] = [];
  for (let p = 1; p <= PAGES; p++) pages.push(await renderPdfPage(source, p, SCAN_DPI));
  return pdfOf(pages.map((image) => ({ image, dpi: SCAN_DPI })));
}

/** The images the server OCRs: the scan's pages drawn at RENDER_DPI (pdf-parse's PNG, as the render thread makes them). */
async function renderedPages(scan: Buffer): Promise<Uint8Array[]> {
  const { PDFParse } = await import("pdf-parse");
  const parser = new PDFParse({ data: new Uint8Array(scan), verbosity: 0 });
  try {
    const out: Uint8Array[] = [];
    for (let p = 1; p <= PAGES; p++) {
      const shot = await parser.getScreenshot({ partial: [p], scale: RENDER_DPI / 72, imageDataUrl: false });
      out.push(shot.pages[0]!.data);
    }
    return out;
  } finally {
    await parser.destroy();
  }
}

/** Seconds tesseract.js alone takes for `images`, one warm worker. */
async function tesseractAlone(images: Uint8Array[], runs: number): Promise<{ seconds: number; chars: number }> {
  const worker = await createWorker("eng", OEM.LSTM_ONLY, { langPath: LANG_PATH, cacheMethod: "none", gzip: true, errorHandler: (e: unknown) => console.error("tesseract.js:", e) });
  try {
    await worker.recognize(Buffer.from(images[0]!)); // warm-up, not timed
    const times: number[] = [];
    let chars = 0;
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      chars = 0;
      for (const image of images) chars += (await worker.recognize(Buffer.from(image))).data.text.length;
      times.push((performance.now() - started) / 1000);
    }
    return { seconds: median(times), chars };
  } finally {
    await worker.terminate();
  }
}

/** Seconds from creating a vector store with the uploaded scan to its file being completed. */
async function throughIngestion(t: BenchApp, scan: Buffer): Promise<{ seconds: number; stallMs: number; chars: number }> {
  const file = await t.client.files.create({ file: await toFile(scan, "scan.pdf"), purpose: "assistants" });
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  const started = performance.now();
  stalls.enable();
  const store = await t.client.vectorStores.create({ file_ids: [file.id] });
  await t.services.ingestor.idle();
  const seconds = (performance.now() - started) / 1000;
  stalls.disable();
  const done = await t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id });
  if (done.status !== "completed") throw new Error(`the scan ended ${done.status}: ${JSON.stringify(done.last_error)}`);
  const content = await t.client.vectorStores.files.content(file.id, { vector_store_id: store.id });
  return { seconds, stallMs: stalls.max / 1e6, chars: content.data.map((d) => d.text ?? "").join("").length };
}

async function main(): Promise<void> {
  console.log(`OCR bench: ${PAGES} scanned pages (${SCAN_DPI} dpi scan, OCR'd at ${RENDER_DPI} dpi), ${RUNS} runs, ${availableParallelism()} CPUs`);
  const scan = await scannedPdf();
  const images = await renderedPages(scan);
  const alone = await tesseractAlone(images, RUNS);
  console.log(`tesseract.js alone: ${alone.seconds.toFixed(2)} s for ${PAGES} pages (${alone.chars} characters)`);

  const t = await openBenchApp();
  const pipeline: number[] = [];
  const stalls: number[] = [];
  let chars = 0;
  try {
    // Warm-up: the OCR threads start (WebAssembly, trained data) on a one-page scan, not timed.
    const warm = await renderPdfPage(readFileSync(SOURCE), 1, SCAN_DPI);
    const rows = inkRows(warm);
    await throughIngestion(t, pdfOf([{ image: crop(warm, rows[0]!.top, rows[2]!.bottom - rows[0]!.top), dpi: SCAN_DPI }]));
    for (let r = 0; r < RUNS; r++) {
      const run = await throughIngestion(t, scan);
      pipeline.push(run.seconds);
      stalls.push(run.stallMs);
      chars = run.chars;
      console.log(`through ingestion, run ${r + 1}: ${run.seconds.toFixed(2)} s (event loop's longest stall ${run.stallMs.toFixed(0)} ms)`);
    }
  } finally {
    await t.close();
  }
  const e2e = median(pipeline);
  console.log(`through ingestion: ${e2e.toFixed(2)} s for ${PAGES} pages (${chars} characters indexed)`);
  const perS = (seconds: number) => round(PAGES / seconds, 3);
  const ratio = alone.seconds / e2e;
  benchLine({ name: "ocr_pages_per_s", value: perS(e2e), unit: "pages/s", baseline: perS(alone.seconds), baseline_name: "tesseract.js alone", goal: ">= 0.9x tesseract.js alone", met: ratio >= 0.9 });
  benchLine({ name: "ocr_speed_vs_tesseract_alone", value: round(ratio, 2), unit: "x", baseline: 1, baseline_name: "tesseract.js alone", goal: ">= 0.9", met: ratio >= 0.9 });
  benchLine({ name: "ocr_event_loop_max_stall", value: round(Math.max(...stalls), 0), unit: "ms", baseline: null, goal: null });
}

await main();
