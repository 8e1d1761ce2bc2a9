/**
 * Office ingestion end to end through the HTTP API, BM25 only, beside the parser alone on the same bytes: a
 * DOCX (mammoth.convertToHtml) and an XLSX (exceljs: `Workbook.xlsx.load` plus reading every cell, the way a
 * program reading a workbook would; and its streaming reader, which the server uses). End to end is what
 * bench/ingestion.ts measures for PDFs: upload (files.create), a vector store holding the file, the server's
 * ingestion done, the store retrieved over HTTP and checked completed. Also the stages of the server's
 * pipeline (extractText alone, then chunking), and the longest the event loop was held while the XLSX was
 * ingested (a 1 ms timer's worst lateness).
 *
 *   npx tsx bench/ingestion-office.ts [runs=5]
 *
 * Both documents are written here: the DOCX with the tests' OOXML writer (headings, paragraphs, lists and a
 * table per section), the XLSX with exceljs (rows of text, numbers, dates and formulas).
 */
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import mammoth from "mammoth";
import { toFile } from "openai";
import { extractText } from "../src/files/extract-text.js";
import { chunkPages } from "../src/retrieval/chunker.js";
import { docx, type DocxBlock } from "../test/helpers/office-files.js";
import { median, openBenchApp, type BenchApp } from "./bench-app.js";
import { benchLine, round } from "./bench-report.js";

const RUNS = Number(process.argv[2] ?? 5);
const XLSX_ROWS = 20_000;
const DOCX_SECTIONS = 150;

const WORDS = "harbour lantern keeper tide ledger rope anchor beacon signal vessel cargo manifest pilot chart reef gale".split(" ");
const sentence = (i: number) => Array.from({ length: 14 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(" ") + ".";

function docxFixture(): Uint8Array {
  const blocks: DocxBlock[] = [];
  for (let s = 0; s < DOCX_SECTIONS; s++) {
    blocks.push({ heading: `Section ${s + 1}: ${WORDS[s % WORDS.length]} procedures` });
    for (let p = 0; p < 4; p++) blocks.push({ paragraph: `${sentence(s * 4 + p)} ${sentence(s * 4 + p + 1)} ${sentence(s * 4 + p + 2)}` });
    blocks.push({ bullets: [sentence(s), sentence(s + 1), sentence(s + 2)] });
    blocks.push({ table: [["Item", "Count", "Note"], ...Array.from({ length: 5 }, (_, r) => [`${WORDS[(s + r) % WORDS.length]} ${r}`, String(s * r), sentence(s + r)])] });
  }
  return docx(blocks);
}

async function xlsxFixture(): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  for (const [n, name] of ["Ledger", "Cargo"].entries()) {
    const ws = wb.addWorksheet(name);
    ws.addRow(["Id", "Vessel", "Port", "Tonnage", "Arrived", "Fee"]);
    for (let i = 0; i < XLSX_ROWS / 2; i++) {
      const r = i + 2;
      ws.addRow([i + n * 100_000, `${WORDS[i % WORDS.length]} ${i % 97}`, WORDS[(i * 5) % WORDS.length], 100 + (i % 900), new Date(Date.UTC(2024, i % 12, 1 + (i % 28))), { formula: `D${r}*1.5`, result: (100 + (i % 900)) * 1.5 }]);
    }
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** Upload + store over HTTP, then the server's ingestion done and the store retrieved: ms. */
async function endToEnd(b: BenchApp, bytes: Uint8Array, name: string): Promise<number> {
  const t0 = performance.now();
  const file = await b.client.files.create({ file: await toFile(bytes, name), purpose: "assistants" });
  const created = await b.client.vectorStores.create({ file_ids: [file.id] });
  await b.services.ingestor.idle();
  const store = await b.client.vectorStores.retrieve(created.id);
  const ms = performance.now() - t0;
  if (store.file_counts.completed !== 1) throw new Error(`${name} did not complete: ${JSON.stringify(store.file_counts)}`);
  return ms;
}

async function mammothAlone(bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const { value } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) });
  if (value.length === 0) throw new Error("mammoth read nothing");
  return performance.now() - t0;
}

/** exceljs's in-memory load, then every cell's text (what reading the workbook means). */
async function exceljsLoad(bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  let chars = 0;
  wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => void (chars += cell.text.length))));
  if (chars === 0) throw new Error("exceljs read nothing");
  return performance.now() - t0;
}

/** exceljs's streaming reader over the uploaded bytes, every row's values. */
async function exceljsStream(bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([Buffer.from(bytes)]), { sharedStrings: "cache", styles: "cache", hyperlinks: "ignore", worksheets: "emit", entries: "ignore" });
  let rows = 0;
  for await (const ws of reader) for await (const row of ws as unknown as AsyncIterable<ExcelJS.Row>) rows += (row.values as unknown[]).length > 0 ? 1 : 0;
  if (rows === 0) throw new Error("exceljs read nothing");
  return performance.now() - t0;
}

async function stages(bytes: Uint8Array, name: string): Promise<{ extract: number; chunk: number; chunks: number }> {
  let t0 = performance.now();
  const doc = await extractText(bytes, name);
  const extract = performance.now() - t0;
  t0 = performance.now();
  const chunks = chunkPages(doc.pages).length;
  return { extract, chunk: performance.now() - t0, chunks };
}

/** The worst lateness of a 1 ms timer while `work` runs: how long the event loop was held at most. */
async function longestHold(work: () => Promise<unknown>): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return worst;
}

interface Row {
  name: string;
  kb: number;
  alone: number;
  aloneName: string;
  streaming?: number;
  e2e: number;
  stages: { extract: number; chunk: number; chunks: number };
}

async function measure(b: BenchApp, name: string, bytes: Uint8Array, alone: (bytes: Uint8Array) => Promise<number>, aloneName: string, streaming?: (bytes: Uint8Array) => Promise<number>): Promise<Row> {
  await endToEnd(b, bytes, name); // warm-up: JIT, the tokenizer's tables, the store's first table
  await alone(bytes);
  if (streaming) await streaming(bytes);
  const runs = { alone: [] as number[], streaming: [] as number[], e2e: [] as number[], extract: [] as number[], chunk: [] as number[] };
  let chunks = 0;
  for (let i = 0; i < RUNS; i++) {
    runs.alone.push(await alone(bytes));
    if (streaming) runs.streaming.push(await streaming(bytes));
    runs.e2e.push(await endToEnd(b, bytes, name));
    const s = await stages(bytes, name);
    runs.extract.push(s.extract);
    runs.chunk.push(s.chunk);
    chunks = s.chunks;
  }
  return {
    name,
    kb: bytes.length / 1024,
    alone: median(runs.alone),
    aloneName,
    ...(streaming ? { streaming: median(runs.streaming) } : {}),
    e2e: median(runs.e2e),
    stages: { extract: median(runs.extract), chunk: median(runs.chunk), chunks },
  };
}

async function main(): Promise<void> {
  const b = await openBenchApp();
  try {
    const docxBytes = docxFixture();
    const xlsxBytes = await xlsxFixture();
    const rows = [
      await measure(b, "report.docx", docxBytes, mammothAlone, "mammoth.convertToHtml"),
      await measure(b, "ledger.xlsx", xlsxBytes, exceljsLoad, "exceljs load + cells", exceljsStream),
    ];
    const hold = await longestHold(() => endToEnd(b, xlsxBytes, "ledger.xlsx"));
    const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
    console.log(`Office ingestion through the HTTP API (upload + vector store + wait until completed), BM25 only, median of ${RUNS} runs`);
    console.log(`DOCX: ${DOCX_SECTIONS} sections (headings, paragraphs, a list and a table each); XLSX: ${XLSX_ROWS.toLocaleString("en-US")} rows x 6 columns on 2 sheets`);
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(12)} ${r.kb.toFixed(0).padStart(6)} KiB  parser alone (${r.aloneName}) ${ms(r.alone)}` +
          (r.streaming !== undefined ? `  exceljs streaming reader ${ms(r.streaming)}` : "") +
          `  end to end ${ms(r.e2e)}  ratio ${(r.e2e / r.alone).toFixed(2)}x | extractText ${ms(r.stages.extract)}  chunk ${ms(r.stages.chunk)} (${r.stages.chunks} chunks)`,
      );
    }
    console.log(`longest event-loop hold while ledger.xlsx was ingested: ${hold.toFixed(0)} ms`);
    const [d, x] = rows as [Row, Row];
    benchLine({ name: "office_docx_ingestion_ms", value: round(d.e2e), unit: "ms", baseline: round(d.alone), baseline_name: "mammoth.convertToHtml alone", goal: null });
    benchLine({ name: "office_docx_time_vs_mammoth", value: round(d.e2e / d.alone, 2), unit: "x", baseline: 1, baseline_name: "mammoth alone", goal: null });
    benchLine({ name: "office_xlsx_ingestion_ms", value: round(x.e2e), unit: "ms", baseline: round(x.alone), baseline_name: "exceljs load + cells alone", goal: null });
    benchLine({ name: "office_xlsx_time_vs_exceljs", value: round(x.e2e / x.alone, 2), unit: "x", baseline: 1, baseline_name: "exceljs load alone", goal: null });
    benchLine({ name: "office_xlsx_time_vs_exceljs_streaming", value: round(x.e2e / x.streaming!, 2), unit: "x", baseline: 1, baseline_name: "exceljs streaming reader alone", goal: null });
    benchLine({ name: "office_xlsx_event_loop_hold_ms", value: round(hold), unit: "ms", baseline: null, goal: null });
  } finally {
    await b.close();
  }
}

await main();
