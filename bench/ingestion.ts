/**
 * Ingestion speed end to end through the HTTP API, no embedding model (BM25 only): upload the PDF
 * (files.create), create a vector store holding it, and once the server's ingestion is done, retrieve the
 * store over HTTP and check it says completed. Beside it, in the same run and on the same files: pdf-parse
 * alone (getText), the floor any pipeline built on it pays, in its own plain-Node process
 * (bench/pdf-parse-alone.mjs); the same pipeline with PDFs parsed by one thread (PDF_PARSE_THREADS=1); and
 * the pipeline's stages timed one after another, to show where the rest goes.
 *
 * Why not poll the store from here until it completes: this client runs on the server's own thread, and
 * polling every 5 ms took CPU from the ingestion it measured — with two parse threads on a 2-CPU machine,
 * ~110 ms more on the 117-page PDF (~20 % of it). The polled figure is still printed, for all files together.
 *
 *   npx tsx bench/ingestion.ts [runs=5]
 *
 * Goals: ≥ 100 pages/s end to end (all files), and (#22) the 117-page PDF in ≤ 0.75× the time of pdf-parse alone on one thread. The server's default parses a
 * long PDF with two threads where there are two CPUs, pdf-parse alone with one: the one-thread column shows
 * what the pipeline costs on top of parsing. The "HTTP" here is the SDK calling the app in-process
 * (`app.request`), no socket.
 *
 * Also: how the API answers while the 117-page PDF is ingested — GET /v1/assistants latency over a loopback
 * socket with PDFs parsed by the server's worker threads, by one worker thread, and on the API's own thread.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFile } from "openai";
import { extractText } from "../src/files/extract-text.js";
import { WorkerPdfReader } from "../src/files/pdf-worker-reader.js";
import { chunkPages } from "../src/retrieval/chunker.js";
import { LanceIndex } from "../src/retrieval/lance-index.js";
import { chunkRows } from "../src/retrieval/vector-index.js";
import { inThreadPdfReader } from "../src/files/pdf-reader.js";
import { listenOn, median, openBenchApp, quantile, type BenchApp } from "./bench-app.js";
import { benchLine, round } from "./bench-report.js";

const PDF_DIR = new URL("../test/fixtures/pdfs/", import.meta.url).pathname;
// The readable PDFs of the shared set (the scanned and the encrypted one fail by design).
const LONG_PDF = "GeoTopo-komprimiert.pdf";
const FILES = [LONG_PDF, "federal-register-2020-17221.pdf", "pdflatex-4-pages.pdf", "multicolumn.pdf", "nics-background-checks-2015-11.pdf"];
const RUNS = Number(process.argv[2] ?? 5);
const ONLY_RESPONSIVENESS = process.argv.includes("--responsiveness");
// How often the client polls the store. Each poll is a request the server answers on the same thread as
// ingestion, so polling every millisecond slows ingestion itself; 5 ms adds at most 5 ms to a measurement.
const POLL_MS = 5;

/** The baseline process, started once and kept warm; `parse` answers in ms, timed inside that process. */
class PdfParseAlone {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<PdfParseAlone> {
    // execArgv []: not this process's flags, which load tsx's loader.
    const child = fork(new URL("./pdf-parse-alone.mjs", import.meta.url), { execArgv: [] });
    await new Promise((resolve) => child.once("message", resolve));
    return new PdfParseAlone(child);
  }

  parse(path: string): Promise<{ ms: number; pages: number }> {
    return new Promise((resolve, reject) => {
      this.child.once("message", (m: { ms: number; pages: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      this.child.send(path);
    });
  }

  stop(): void {
    this.child.kill();
  }
}

/**
 * Upload + store over HTTP, then wait until the server has ingested it (`poll`: polling the store over HTTP
 * every POLL_MS; else: the ingestor's own signal, then one retrieve over HTTP); returns ms.
 */
async function endToEnd(b: BenchApp, bytes: Uint8Array, name: string, poll = false): Promise<number> {
  const t0 = performance.now();
  const file = await b.client.files.create({ file: await toFile(bytes, name), purpose: "assistants" });
  let store = await b.client.vectorStores.create({ file_ids: [file.id] });
  if (!poll) {
    await b.services.ingestor.idle();
    store = await b.client.vectorStores.retrieve(store.id);
  }
  while (store.status === "in_progress") {
    await new Promise((r) => setTimeout(r, POLL_MS));
    store = await b.client.vectorStores.retrieve(store.id);
  }
  const ms = performance.now() - t0;
  if (store.file_counts.completed !== 1) throw new Error(`${name} did not complete: ${JSON.stringify(store.file_counts)}`);
  return ms;
}

/** The pipeline's stages one after another: extract (PDF worker: parse + clean), chunk, index into a fresh store. */
async function stages(pdf: WorkerPdfReader, bytes: Uint8Array, name: string) {
  const dir = mkdtempSync(join(tmpdir(), "ingest-stages-"));
  const index = await LanceIndex.open(dir);
  try {
    let t0 = performance.now();
    const doc = await extractText(bytes, name, { pdf });
    const extract = performance.now() - t0;
    t0 = performance.now();
    const chunks = chunkPages(doc.pages);
    const chunk = performance.now() - t0;
    t0 = performance.now();
    await index.add("vs_" + "stages".padEnd(24, "0"), chunkRows("file-" + "stages".padEnd(24, "0"), chunks), null);
    return { extract, chunk, index: performance.now() - t0, chunks: chunks.length };
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  name: string;
  pages: number;
  parse: number;
  /** The server as configured (PDF_PARSE_THREADS default). */
  e2e: number;
  /** The same with PDF_PARSE_THREADS=1. */
  oneThread: number;
  /** The server as configured, completion seen by polling every POLL_MS from this thread. */
  polled: number;
  stages: { extract: number; chunk: number; index: number; chunks: number };
}

interface Apps {
  server: BenchApp;
  oneThread: BenchApp;
}

async function measure(apps: Apps, alone: PdfParseAlone, pdf: WorkerPdfReader, name: string): Promise<Row> {
  const bytes = new Uint8Array(readFileSync(PDF_DIR + name));
  const { pages } = await alone.parse(PDF_DIR + name);
  // Warm-up (first store of the run, JIT, the parse threads' first document).
  await endToEnd(apps.server, bytes, name);
  await endToEnd(apps.oneThread, bytes, name);
  const runs = { parse: [] as number[], e2e: [] as number[], oneThread: [] as number[], polled: [] as number[] };
  const st: Array<Awaited<ReturnType<typeof stages>>> = [];
  // Interleaved, so that machine noise hits all alike.
  for (let i = 0; i < RUNS; i++) {
    runs.parse.push((await alone.parse(PDF_DIR + name)).ms);
    runs.e2e.push(await endToEnd(apps.server, bytes, name));
    runs.oneThread.push(await endToEnd(apps.oneThread, bytes, name));
    runs.polled.push(await endToEnd(apps.server, bytes, name, true));
    st.push(await stages(pdf, bytes, name));
  }
  const m = (f: (s: (typeof st)[number]) => number) => median(st.map(f));
  return {
    name,
    pages,
    parse: median(runs.parse),
    e2e: median(runs.e2e),
    oneThread: median(runs.oneThread),
    polled: median(runs.polled),
    stages: { extract: m((s) => s.extract), chunk: m((s) => s.chunk), index: m((s) => s.index), chunks: st[0]!.chunks },
  };
}

const rate = (pages: number, ms: number) => `${((pages / ms) * 1000).toFixed(0).padStart(5)} p/s`;
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;

function print(rows: Row[], threads: number): void {
  console.log(`Ingestion through the HTTP API (upload + vector store + wait until the server completed it), BM25 only, median of ${RUNS} runs`);
  console.log(`PDFs parsed by up to ${threads} thread(s) (the server's default here), and by 1; stages one after another with ${threads}`);
  console.log(`${"file".padEnd(36)} pages  pdf-parse alone        end to end             ratio   1 thread  ratio | extract   chunk   index (chunks)`);
  for (const r of rows) {
    const s = r.stages;
    console.log(
      `${r.name.padEnd(36)} ${String(r.pages).padStart(5)}  ${ms(r.parse)} ${rate(r.pages, r.parse)}   ${ms(r.e2e)} ${rate(r.pages, r.e2e)}   ${(r.e2e / r.parse).toFixed(2)}×` +
        `  ${ms(r.oneThread)}  ${(r.oneThread / r.parse).toFixed(2)}× | ${ms(s.extract)} ${ms(s.chunk)} ${ms(s.index)} (${s.chunks})`,
    );
  }
  const sum = (f: (r: Row) => number) => rows.reduce((n, r) => n + f(r), 0);
  const [pages, parse, e2e, oneThread, polled] = [sum((r) => r.pages), sum((r) => r.parse), sum((r) => r.e2e), sum((r) => r.oneThread), sum((r) => r.polled)];
  console.log(
    `${"all files".padEnd(36)} ${String(pages).padStart(5)}  ${ms(parse)} ${rate(pages, parse)}   ${ms(e2e)} ${rate(pages, e2e)}   ${(e2e / parse).toFixed(2)}×  ${ms(oneThread)}  ${(oneThread / parse).toFixed(2)}×`,
  );
  console.log(`all files, completion seen by polling every ${POLL_MS} ms from the server's thread instead: ${ms(polled)}  ${(polled / parse).toFixed(2)}×`);
  // #22's time goal is the 117-page PDF's (the words): the short files' fixed costs (upload, store) are
  // shown in the all-files row and its own figure, not judged.
  const long = rows.find((r) => r.name === LONG_PDF);
  if (!long) throw new Error(`${LONG_PDF} was not measured`);
  const longRatio = long.e2e / long.parse;
  const ok = (pages / e2e) * 1000 >= 100 && longRatio <= 0.75;
  console.log(`goals: ≥ 100 pages/s end to end (all files) and ≤ 0.75× pdf-parse alone on ${LONG_PDF} (server default: ${threads} parse threads; ${longRatio.toFixed(2)}×): ${ok ? "met" : "MISSED"}`);
  const perS = (ms: number) => round((pages / ms) * 1000);
  benchLine({ name: "ingestion_pages_per_s", value: perS(e2e), unit: "pages/s", baseline: perS(parse), baseline_name: "pdf-parse alone", goal: ">= 100", met: perS(e2e) >= 100 });
  // #22: the 117-page PDF, the server's threads (2 here) against pdf-parse on one.
  benchLine({ name: "ingestion_time_vs_pdf_parse", value: round(longRatio, 2), unit: "x", baseline: 1, baseline_name: `pdf-parse alone, ${LONG_PDF}`, goal: "<= 0.75", met: longRatio <= 0.75 });
  benchLine({ name: "ingestion_time_vs_pdf_parse_all_files", value: round(e2e / parse, 2), unit: "x", baseline: 1, baseline_name: "pdf-parse alone", goal: null });
  benchLine({ name: "ingestion_time_vs_pdf_parse_1_thread", value: round(oneThread / parse, 2), unit: "x", baseline: 1, baseline_name: "pdf-parse alone", goal: null });
  benchLine({ name: "ingestion_time_vs_pdf_parse_polled", value: round(polled / parse, 2), unit: "x", baseline: 1, baseline_name: "pdf-parse alone", goal: null });
}

/**
 * GET /v1/assistants latencies (ms), back to back over a loopback socket, while `name` is ingested. (A socket,
 * as clients use: in-process requests resolve without ever yielding to the event loop, starving ingestion.)
 */
async function latenciesDuringIngestion(b: BenchApp, name: string): Promise<number[]> {
  const bytes = new Uint8Array(readFileSync(PDF_DIR + name));
  const file = await b.client.files.create({ file: await toFile(bytes, name), purpose: "assistants" });
  const server = await listenOn(b.app);
  const store = await b.client.vectorStores.create({ file_ids: [file.id] });
  let done = false;
  const ingesting = b.services.ingestor.idle().then(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t0 = performance.now();
    const res = await fetch(`${server.baseURL}/assistants?limit=1`);
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
  }
  await server.close();
  await ingesting;
  if ((await b.client.vectorStores.retrieve(store.id)).file_counts.completed !== 1) throw new Error(`${name} did not complete`);
  return latencies;
}

async function responsiveness(): Promise<void> {
  const name = FILES[0]!;
  const apps = {
    server: await openBenchApp(),
    oneThread: await openBenchApp({ PDF_PARSE_THREADS: "1" }),
    inThread: await openBenchApp({}, { pdf: inThreadPdfReader }),
  };
  const threads = apps.server.services.config.pdf.threads;
  try {
    const rounds: Record<keyof typeof apps, number[]> = { server: [], oneThread: [], inThread: [] };
    for (const app of Object.values(apps)) await app.client.beta.assistants.create({ model: "gpt-4o" });
    for (let i = 0; i < 3; i++) {
      for (const key of Object.keys(apps) as Array<keyof typeof apps>) rounds[key].push(...(await latenciesDuringIngestion(apps[key], name)));
    }
    const describe = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(2)} ms  p99 ${quantile(xs, 0.99).toFixed(2)} ms  max ${Math.max(...xs).toFixed(0)} ms  (${xs.length} requests)`;
    console.log(`GET /v1/assistants back to back while ${name} is ingested (3 times):`);
    console.log(`  PDF parsed by ${threads} worker thread(s)     ${describe(rounds.server)}`);
    console.log(`  PDF parsed by 1 worker thread        ${describe(rounds.oneThread)}`);
    console.log(`  PDF parsed on the API's own thread   ${describe(rounds.inThread)}`);
    const p99 = (xs: number[]) => round(quantile(xs, 0.99), 2);
    const worst = (xs: number[]) => round(Math.max(...xs), 1);
    benchLine({ name: "api_p99_during_pdf_ingestion", value: p99(rounds.server), unit: "ms", baseline: p99(rounds.inThread), baseline_name: "PDF parsed on the API thread", goal: null });
    benchLine({ name: "api_max_during_pdf_ingestion", value: worst(rounds.server), unit: "ms", baseline: worst(rounds.inThread), baseline_name: "PDF parsed on the API thread", goal: null });
    benchLine({ name: "api_p99_during_pdf_ingestion_1_thread", value: p99(rounds.oneThread), unit: "ms", baseline: p99(rounds.inThread), baseline_name: "PDF parsed on the API thread", goal: null });
  } finally {
    for (const app of Object.values(apps)) await app.close();
  }
}

async function main(): Promise<void> {
  if (ONLY_RESPONSIVENESS) return responsiveness();
  const server = await openBenchApp();
  const oneThread = await openBenchApp({ PDF_PARSE_THREADS: "1" });
  const alone = await PdfParseAlone.start();
  const { threads } = server.services.config.pdf;
  const pdf = new WorkerPdfReader({ timeoutMs: 600_000, memoryMb: null, idleMs: 600_000, threads });
  try {
    await alone.parse(PDF_DIR + FILES[2]!); // load pdf.js once, outside every timing
    const rows: Row[] = [];
    for (const name of FILES) rows.push(await measure({ server, oneThread }, alone, pdf, name));
    print(rows, threads);
    await responsiveness();
  } finally {
    alone.stop();
    await pdf.close();
    await server.close();
    await oneThread.close();
  }
}

await main();
