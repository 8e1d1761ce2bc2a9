/**
 * Retrieval quality and ingestion speed of the retrieval pipeline, measured through LanceIndex directly.
 *
 *   npx tsx bench/retrieval-cranfield.ts [--quick] [--sweep]
 *
 * 1. Cranfield (1,400 abstracts, 113 queries): each doc chunked like an upload (800/400 tokens), indexed
 *    BM25-only, nDCG@10 of the default search beside BM25 alone, each of the default's parts alone and other
 *    full-text-index variants, printed beside the README's reference (plain BM25 0.351). The default: each doc
 *    as a document reads (its title a paragraph of its own, then the abstract), the title searched with each of its
 *    chunks (src/retrieval/document-title.ts), BM25 + query expansion (query-expansion.ts), the best hits
 *    re-ranked by proximity (proximity.ts). A doc's rank is its best chunk's rank. `--quick` runs the default
 *    only; `--sweep` adds the expansion's and proximity's parameter grids.
 * 2. Ingestion of the 117-page PDF: pdf-parse alone vs extract, chunk, and chunk+index, in pages/s, same run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FtsOptions } from "@lancedb/lancedb";
import { extractText } from "../src/files/extract-text.js";
import { chunkPages } from "../src/retrieval/chunker.js";
import { DEFAULT_FTS, LanceIndex } from "../src/retrieval/lance-index.js";
import { documentTitle } from "../src/retrieval/document-title.js";
import { DEFAULT_PROXIMITY, type ProximityOptions } from "../src/retrieval/proximity.js";
import { DEFAULT_EXPANSION, type ExpansionOptions } from "../src/retrieval/query-expansion.js";
import { chunkRows, type ChunkRow } from "../src/retrieval/vector-index.js";
import { asDocument, ndcgAt10, readCorpus, readQrels, readQueries, REFERENCE_BM25_NDCG, type Doc, type Qrels, type Query } from "./cranfield-data.js";

const BIG_PDF = new URL("../test/fixtures/pdfs/GeoTopo-komprimiert.pdf", import.meta.url).pathname;
const STORE = "vs_" + "cranfield".padEnd(24, "0");

// Cranfield doc ids are numbers; file ids must match file-[A-Za-z0-9]{24}.
const fileIdOf = (docId: string) => "file-cran" + docId.padStart(20, "0");
const docIdOf = (fileId: string) => String(Number(fileId.slice(9)));

interface Variant {
  name: string;
  fts: Partial<FtsOptions>;
  /** Each doc as a document reads (title paragraph, then the abstract), its title the chunks' context; else raw text. */
  titled: boolean;
  /** Pseudo-relevance feedback (src/retrieval/query-expansion.ts); null: BM25 on the query's own words. */
  expansion: ExpansionOptions | null;
  /** Re-ranking by proximity (src/retrieval/proximity.ts); null: none. */
  proximity: ProximityOptions | null;
}


async function evaluate(variant: Variant, docs: Doc[], queries: Query[], qrels: Qrels) {
  const dir = mkdtempSync(join(tmpdir(), "cranfield-"));
  const index = await LanceIndex.open(dir, { fts: variant.fts, expansion: variant.expansion, proximity: variant.proximity });
  try {
    const rows: ChunkRow[] = [];
    for (const d of docs) {
      // As ingestion does (src/retrieval/ingestion/ingest-pages.ts): the title is read off the first page.
      const text = variant.titled ? asDocument(d) : d.text;
      rows.push(...chunkRows(fileIdOf(d.id), chunkPages([{ page: null, text }]), variant.titled ? documentTitle(text) : null));
    }
    await index.add(STORE, rows, null);
    let sum = 0;
    const latencies: number[] = [];
    for (const q of queries) {
      const t0 = performance.now();
      const hits = await index.search(STORE, { text: q.text, vector: null, limit: 100 });
      latencies.push(performance.now() - t0);
      const ranking = [...new Set(hits.map((h) => docIdOf(h.file_id)))];
      sum += ndcgAt10(ranking, qrels.get(q.id) ?? new Map());
    }
    latencies.sort((a, b) => a - b);
    return { ndcg: sum / queries.length, chunks: rows.length, p50: latencies[latencies.length >> 1]! };
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cranfield(quick: boolean, sweep: boolean): Promise<void> {
  const docs = readCorpus().filter((d) => /\w/.test(d.text));
  const queries = readQueries();
  const qrels = readQrels();
  const off = null;
  const bm25 = { fts: DEFAULT_FTS, titled: false, expansion: off, proximity: off };
  const variants: Variant[] = [
    { name: "default: title + expansion + proximity", fts: DEFAULT_FTS, titled: true, expansion: DEFAULT_EXPANSION, proximity: DEFAULT_PROXIMITY },
    { ...bm25, name: "BM25 alone (stem + stop words)" },
    { ...bm25, name: "BM25 + title", titled: true },
    { ...bm25, name: "BM25 + expansion", expansion: DEFAULT_EXPANSION },
    { ...bm25, name: "BM25 + proximity", proximity: DEFAULT_PROXIMITY },
    { ...bm25, name: "BM25 + title + expansion", titled: true, expansion: DEFAULT_EXPANSION },
    { ...bm25, name: "BM25 + expansion + proximity", expansion: DEFAULT_EXPANSION, proximity: DEFAULT_PROXIMITY },
    { ...bm25, name: "BM25 alone, no stemming", fts: { ...DEFAULT_FTS, stem: false } },
    { ...bm25, name: "BM25 alone, no stop-word removal", fts: { ...DEFAULT_FTS, removeStopWords: false } },
    { ...bm25, name: "BM25 alone, neither", fts: { ...DEFAULT_FTS, stem: false, removeStopWords: false } },
    { ...bm25, name: "BM25 alone, no ASCII folding", fts: { ...DEFAULT_FTS, asciiFolding: false } },
  ];
  // --sweep: the parameters around the default (how they were chosen; optimistic, on these queries).
  if (sweep) {
    const base = variants[0]!;
    for (const terms of [10, 20, 30]) for (const queryWeight of [0.5, 1, 2]) for (const firstPassWeight of [0.2, 0.35, 0.5]) {
      const expansion = { ...DEFAULT_EXPANSION, terms, queryWeight, firstPassWeight };
      variants.push({ ...base, name: `expansion ${terms} words, query ×${queryWeight}, first ${firstPassWeight}`, expansion });
    }
    for (const feedbackChunks of [5, 20]) variants.push({ ...base, name: `expansion ${feedbackChunks} feedback chunks`, expansion: { ...DEFAULT_EXPANSION, feedbackChunks } });
    for (const candidates of [20, 100]) variants.push({ ...base, name: `expansion ${candidates} candidates`, expansion: { ...DEFAULT_EXPANSION, candidates } });
    for (const depth of [10, 20, 50]) for (const window of [5, 10, 20]) for (const weight of [0.02, 0.04, 0.08]) {
      variants.push({ ...base, name: `proximity depth ${depth}, window ${window}, weight ${weight}`, proximity: { depth, window, weight } });
    }
  }
  console.log(`Cranfield: ${docs.length} docs, ${queries.length} queries; reference BM25 nDCG@10 = 0.351`);
  for (const v of quick ? variants.slice(0, 1) : variants) {
    const r = await evaluate(v, docs, queries, qrels);
    const delta = r.ndcg - REFERENCE_BM25_NDCG;
    console.log(
      `  ${v.name.padEnd(48)} nDCG@10 ${r.ndcg.toFixed(4)} (${delta >= 0 ? "+" : ""}${delta.toFixed(3)} vs 0.351)` +
        `  chunks ${r.chunks}  query p50 ${r.p50.toFixed(1)} ms`,
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function ingestion(): Promise<void> {
  const bytes = new Uint8Array(readFileSync(BIG_PDF));
  const { PDFParse } = await import("pdf-parse");
  const parseOnly = async () => {
    const parser = new PDFParse({ data: bytes.slice(), verbosity: 0 });
    try {
      return (await parser.getText()).total;
    } finally {
      await parser.destroy();
    }
  };
  await parseOnly(); // warm-up: loading pdf.js is a one-off cost, not per-file throughput
  const runs = 3;
  const t = { parse: [] as number[], extract: [] as number[], chunk: [] as number[], index: [] as number[] };
  let pages = 0;
  let chunks = 0;
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    pages = await parseOnly();
    t.parse.push(performance.now() - t0);
    t0 = performance.now();
    const doc = await extractText(bytes, "GeoTopo-komprimiert.pdf");
    t.extract.push(performance.now() - t0);
    t0 = performance.now();
    const list = chunkPages(doc.pages);
    t.chunk.push(performance.now() - t0);
    chunks = list.length;
    t.index.push(await timeIndex(chunkRows("file-" + "geotopo".padEnd(24, "0"), list)));
  }
  const rate = (ms: number) => `${((pages / ms) * 1000).toFixed(0).padStart(6)} pages/s (${ms.toFixed(0)} ms)`;
  const [parse, extract, chunk, index] = [median(t.parse), median(t.extract), median(t.chunk), median(t.index)];
  console.log(`\nIngestion, ${pages}-page PDF → ${chunks} chunks (800/400), median of ${runs} runs:`);
  console.log(`  pdf-parse getText alone      ${rate(parse)}`);
  console.log(`  extractText (parse + clean)  ${rate(extract)}`);
  console.log(`  chunk                        ${rate(chunk)}`);
  console.log(`  index (BM25 add + FTS build) ${rate(index)}`);
  console.log(`  chunk + index                ${rate(chunk + index)}`);
  console.log(`  extract + chunk + index      ${rate(extract + chunk + index)}`);
}

/** One add (which builds the full-text index) into a fresh store, as for an upload into a new vector store. */
async function timeIndex(rows: ChunkRow[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "ingest-"));
  const index = await LanceIndex.open(dir);
  try {
    const t0 = performance.now();
    await index.add(STORE, rows, null);
    return performance.now() - t0;
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const quick = process.argv.includes("--quick");
await cranfield(quick, process.argv.includes("--sweep"));
await ingestion();
