/**
 * Search latency on a big store: 100k chunks in one vector store (BM25 only, the offline default), then
 * POST /v1/vector_stores/{id}/search timed through HTTP, both in-process (`app.request`, no socket) and
 * over a real loopback socket (`fetch`), with the 113 Cranfield queries cycled. RSS is that of a fresh
 * server process after it loaded the store and answered every query.
 *
 *   npx tsx bench/search-latency.ts [chunks=100000] [words-per-chunk=200] [--hybrid]
 *
 * `--hybrid` builds the store the way the default configuration does when Ollama is up: 768-dimension
 * vectors (nomic-embed-text's size) beside the text, searched by BM25 + brute-force cosine, fused. The query
 * is embedded by the Ollama-protocol stand-in of the tests (hashed bag of words, ~1 ms); a real embedding
 * model adds its own time on top.
 *
 * Building: the store, its 1,000 files and their memberships are created through the app's services; the
 * synthetic chunks (Zipf-distributed words from the Cranfield vocabulary) go straight into the index
 * (LanceIndex.add in batches), which is what ingestion ends with, minus PDF parsing.
 * Goals: p95 ≤ 20 ms, RSS ≤ 500 MB.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newId } from "../src/ids.js";
import { LanceIndex } from "../src/retrieval/lance-index.js";
import type { ChunkRow } from "../src/retrieval/vector-index.js";
import { VectorStoreIndexRepo } from "../src/store/vector-stores-repo.js";
import { hashEmbedding, startOllamaFake } from "../test/fakes/ollama-fake.js";
import { listenOn, mib, openBenchApp, quantile } from "./bench-app.js";
import { benchLine, round } from "./bench-report.js";
import { readCorpus, readQueries } from "./cranfield-data.js";

const FILES = 1000;
const BATCH_ROWS = 20_000;
const WARMUP = 30;
const SEARCHES = 600;
/** nomic-embed-text, the manifest's default embedding model, and its dimension. */
const EMBEDDING = { model: "nomic-embed-text", dims: 768 };

/** mulberry32: a small seeded PRNG, so every run builds the same store. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cranfield's words by frequency, and a sampler drawing them with Zipf's law (p ∝ 1/rank). */
function zipfWords(rand: () => number): () => string {
  const counts = new Map<string, number>();
  for (const d of readCorpus()) for (const w of d.text.toLowerCase().match(/[a-z]{2,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const cumulative: number[] = [];
  words.reduce((sum, _, i) => (cumulative[i] = sum + 1 / (i + 1)), 0);
  const total = cumulative.at(-1)!;
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
}

function chunkText(word: () => string, words: number): string {
  const out: string[] = [];
  for (let i = 1; i <= words; i++) out.push(i % 16 === 0 ? `${word()}.` : word());
  return out.join(" ");
}

/** Store, files and memberships through the services; chunks straight into the index. Returns the store id. */
async function build(dataDir: string, chunks: number, words: number, hybrid: boolean): Promise<string> {
  const b = await openBenchApp({ DATA_DIR: dataDir });
  const store = await b.client.vectorStores.create({ name: "latency" });
  const fileIds = Array.from({ length: FILES }, () => newId("file-"));
  const now = Math.floor(Date.now() / 1000);
  for (const [i, id] of fileIds.entries()) {
    b.services.repos.files.insert({ id, object: "file", bytes: 0, created_at: now, filename: `doc-${i}.pdf`, purpose: "assistants", status: "processed" });
    b.services.repos.storeFiles.insert({
      id,
      object: "vector_store.file",
      usage_bytes: 0,
      created_at: now,
      vector_store_id: store.id,
      status: "completed",
      last_error: null,
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
      attributes: {},
      batch_id: null,
    });
  }
  // What ingestion records when the first file of a store is embedded: queries are embedded with this model.
  if (hybrid) new VectorStoreIndexRepo(b.services.db).set(store.id, { embedding_model: EMBEDDING.model, dims: EMBEDDING.dims });
  await b.close(); // before anything opened the store's table: the writer below is its only user

  const index = await LanceIndex.open(join(dataDir, "lancedb"));
  const word = zipfWords(random(42));
  const perFile = Math.ceil(chunks / FILES);
  for (let start = 0; start < chunks; start += BATCH_ROWS) {
    const rows: ChunkRow[] = [];
    for (let n = start; n < Math.min(chunks, start + BATCH_ROWS); n++) {
      const fileId = fileIds[Math.floor(n / perFile)]!;
      const chunk = n % perFile;
      rows.push({ chunk_id: `${fileId}#${chunk}`, file_id: fileId, chunk_index: chunk, page_start: chunk + 1, page_end: chunk + 1, text: chunkText(word, words) });
    }
    await index.add(store.id, rows, hybrid ? rows.map((r) => hashEmbedding(r.text, EMBEDDING.dims)) : null);
  }
  await index.close();
  return store.id;
}

type Send = (body: string) => Promise<Response>;

async function time(send: Send, queries: string[], count: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ query: queries[i % queries.length] });
    const t0 = performance.now();
    const res = await send(body);
    const page = (await res.json()) as { data?: unknown[] };
    ms.push(performance.now() - t0);
    if (!res.ok || !page.data) throw new Error(`search failed: ${res.status} ${JSON.stringify(page).slice(0, 200)}`);
  }
  return ms;
}

const describe = (ms: number[]) =>
  `p50 ${quantile(ms, 0.5).toFixed(1)} ms  p95 ${quantile(ms, 0.95).toFixed(1)} ms  p99 ${quantile(ms, 0.99).toFixed(1)} ms  (${ms.length} searches)`;

/** Child process: a fresh server over the built DATA_DIR, timed searches, its RSS. */
async function serve(dataDir: string, storeId: string, chunks: number, hybrid: boolean): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const ollama = hybrid ? await startOllamaFake({ embeddingModels: [EMBEDDING.model], embeddingDims: EMBEDDING.dims }) : null;
  const b = await openBenchApp({ DATA_DIR: dataDir, ...(ollama ? { OLLAMA_HOST: ollama.url } : {}) });
  const socket = await listenOn(b.app);
  const path = `/v1/vector_stores/${storeId}/search`;
  const init = (body: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body });
  const inProcess: Send = (body) => Promise.resolve(b.app.request(`http://bench.local${path}`, init(body)));
  const overSocket: Send = (body) => fetch(`${socket.baseURL.replace(/\/v1$/, "")}${path}`, init(body));
  const queries = readQueries().map((q) => q.text);
  try {
    const t0 = performance.now();
    await time(inProcess, queries, 1);
    const first = performance.now() - t0;
    await time(inProcess, queries, WARMUP);
    await time(overSocket, queries, WARMUP);
    const local = await time(inProcess, queries, SEARCHES);
    const remote = await time(overSocket, queries, SEARCHES);
    const rss = process.memoryUsage().rss;
    console.log(`  first search (opens the table)  ${first.toFixed(0)} ms`);
    console.log(`  in-process (app.request)        ${describe(local)}`);
    console.log(`  real socket (fetch, keep-alive) ${describe(remote)}`);
    console.log(`  RSS: ${mib(rssStart)} at start (modules loaded), ${mib(rss)} after load + ${WARMUP * 2 + SEARCHES * 2 + 1} searches`);
    const ok = quantile(remote, 0.95) <= 20 && quantile(local, 0.95) <= 20 && rss <= 500 * 2 ** 20;
    console.log(`  goals p95 ≤ 20 ms and RSS ≤ 500 MB: ${ok ? "met" : "MISSED"}`);
    const prefix = `search_${Math.round(chunks / 1000)}k`;
    const suffix = hybrid ? "_hybrid" : "";
    const p95 = quantile(remote, 0.95);
    benchLine({ name: `${prefix}_p95_ms${suffix}`, value: round(p95), unit: "ms", baseline: round(quantile(local, 0.95)), baseline_name: "same search in-process (no socket)", goal: "<= 20", met: p95 <= 20 });
    benchLine({ name: `${prefix}_rss_mb${suffix}`, value: round(rss / 2 ** 20, 0), unit: "MiB", baseline: round(rssStart / 2 ** 20, 0), baseline_name: "same process before loading", goal: "<= 500", met: rss <= 500 * 2 ** 20 });
  } finally {
    await socket.close();
    await b.close();
    await ollama?.close();
  }
}

async function main(): Promise<void> {
  const hybrid = process.argv.includes("--hybrid");
  const [first, second, third, fourth] = process.argv.slice(2).filter((a) => a !== "--hybrid");
  if (first === "--serve") return serve(second!, third!, Number(fourth), hybrid);
  const chunks = Number(first ?? 100_000);
  const words = Number(second ?? 200);
  const dataDir = mkdtempSync(join(tmpdir(), "la-search-latency-"));
  try {
    const t0 = performance.now();
    const storeId = await build(dataDir, chunks, words, hybrid);
    const kind = hybrid ? `hybrid store (BM25 + ${EMBEDDING.dims}-dim vectors)` : "BM25-only store";
    console.log(`Search latency: ${chunks} chunks of ${words} words (Zipf over the Cranfield vocabulary) in one ${kind}, ${FILES} files`);
    console.log(`  build (services + LanceIndex.add, ${BATCH_ROWS} rows per add)  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--serve", dataDir, storeId, String(chunks), ...(hybrid ? ["--hybrid"] : [])], { stdio: "inherit" });
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`server process exited with ${code}`))));
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
