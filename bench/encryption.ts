/**
 * The cost of encryption at rest (DATA_ENCRYPTION_KEY): the same measurements on two real server processes,
 * one with a key and one without, in the same run, rounds alternating between them so drift hits both alike.
 *
 * - upload: multipart uploads of UPLOAD_MB MiB streamed over a loopback socket (MB/s)
 * - download: GET /v1/files/{id}/content of those files (MB/s)
 * - GET /v1/assistants/{id} and GET /v1/threads/{id}/messages?limit=20 (req/s, autocannon, SQLite reads)
 * - ingestion: a file batch of Cranfield abstracts (one text file each) into a BM25 vector store, until the
 *   batch completes (files/s; the LanceDB index itself is not encrypted, so this is the blobs' and SQLite's cost)
 *
 *   npx tsx bench/encryption.ts [rounds=3] [upload MiB=64] [docs=300] [seconds per GET measurement=4]
 *
 * Figures only, no goal: value is with the key, baseline the same server without one.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { startServer, type ServerProcess } from "../test/helpers/server-process.js";
import { streamDownload, streamUpload } from "../test/helpers/streamed-files.js";
import { readCorpus } from "./cranfield-data.js";
import { median } from "./bench-app.js";
import { benchLine, round, sleep } from "./bench-report.js";

const [ROUNDS = 3, UPLOAD_MB = 64, DOCS = 300, GET_SECONDS = 4] = process.argv.slice(2).map(Number);
const MB = 1024 * 1024;

interface Mode {
  name: "plain" | "encrypted";
  server: ServerProcess;
  dataDir: string;
  assistantUrl: string;
  messagesUrl: string;
  samples: Record<string, number[]>;
}

async function main(): Promise<void> {
  const modes: Mode[] = [];
  try {
    for (const name of ["plain", "encrypted"] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `la-bench-enc-${name}-`));
      const server = await startServer({
        DATA_DIR: dataDir,
        OLLAMA_HOST: "http://127.0.0.1:9",
        EMBEDDING_MODEL: "",
        MAX_UPLOAD_BYTES: String(2048 * MB),
        ...(name === "encrypted" ? { DATA_ENCRYPTION_KEY: randomBytes(32).toString("hex") } : {}),
      });
      const { assistantUrl, messagesUrl } = await seed(server.baseURL);
      modes.push({ name, server, dataDir, assistantUrl, messagesUrl, samples: {} });
    }
    const corpus = readCorpus().filter((d) => d.text.trim().length > 0); // a few abstracts are empty: no text to index
    for (const m of modes) {
      // Warm-up: JIT, SQLite's cache, the upload and download paths.
      await streamUpload(m.server.origin, 4, "warm.bin");
      await autocannon({ url: m.assistantUrl, connections: 10, duration: 1 });
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of r % 2 === 0 ? modes : [...modes].reverse()) {
        const add = (k: string, v: number) => (m.samples[k] ??= []).push(v);
        let t0 = performance.now();
        const file = await streamUpload(m.server.origin, UPLOAD_MB, `round${r}.bin`);
        add("upload_mb_per_s", UPLOAD_MB / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        const down = await streamDownload(m.server.origin, file.id);
        if (down.sha !== file.sha) throw new Error(`${m.name}: download differs from upload`);
        add("download_mb_per_s", UPLOAD_MB / ((performance.now() - t0) / 1000));
        for (const [key, url] of [["get_assistant_rps", m.assistantUrl], ["get_messages_rps", m.messagesUrl]] as const) {
          const result = await autocannon({ url, connections: 10, duration: GET_SECONDS });
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${m.name} ${key}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          add(key, result.requests.average);
        }
        const docs = corpus.slice((r * DOCS) % corpus.length, (r * DOCS) % corpus.length + DOCS);
        add("ingest_files_per_s", docs.length / (await ingest(m.server.baseURL, docs)));
        await sleep(250);
      }
    }
    report(modes);
  } finally {
    for (const m of modes) {
      await m.server.stop();
      fs.rmSync(m.dataDir, { recursive: true, force: true });
    }
  }
}

function report(modes: Mode[]): void {
  const [plain, enc] = modes as [Mode, Mode];
  const rows: Array<[string, string, string]> = [
    ["upload_mb_per_s", "MB/s", `upload of ${UPLOAD_MB} MiB (streamed, one at a time)`],
    ["download_mb_per_s", "MB/s", `GET /v1/files/{id}/content of ${UPLOAD_MB} MiB`],
    ["get_assistant_rps", "req/s", "GET /v1/assistants/{id}, 10 connections"],
    ["get_messages_rps", "req/s", "GET /v1/threads/{id}/messages?limit=20, 10 connections"],
    ["ingest_files_per_s", "files/s", `file batch of ${DOCS} text files into a BM25 store`],
  ];
  console.log(`\nEncryption at rest: median of ${ROUNDS} rounds, Node ${process.version}, ${os.cpus().length} CPUs\n`);
  console.log(`  ${"".padEnd(58)} ${"no key".padStart(10)} ${"with key".padStart(10)}   ratio`);
  for (const [key, unit, what] of rows) {
    const a = median(plain.samples[key]!);
    const b = median(enc.samples[key]!);
    console.log(`  ${what.padEnd(58)} ${round(a).toString().padStart(10)} ${round(b).toString().padStart(10)}   ${(b / a).toFixed(2)}x ${unit}`);
  }
  console.log("");
  for (const [key, unit] of rows) {
    benchLine({
      name: `encryption_${key}`,
      value: round(median(enc.samples[key]!)),
      unit,
      baseline: round(median(plain.samples[key]!)),
      baseline_name: "same server without DATA_ENCRYPTION_KEY",
      goal: null,
    });
  }
}

/** One assistant and a thread of 25 messages, created over HTTP. */
async function seed(baseURL: string): Promise<{ assistantUrl: string; messagesUrl: string }> {
  const assistant = await post(baseURL, "/assistants", { model: "gpt-4o", name: "Bench", instructions: "Answer briefly.", metadata: { purpose: "bench" } });
  const thread = await post(baseURL, "/threads", {});
  for (let i = 0; i < 25; i++) await post(baseURL, `/threads/${thread.id}/messages`, { role: "user", content: `Message ${i}: solve 3x + ${i} = 14.` });
  return { assistantUrl: `${baseURL}/assistants/${assistant.id}`, messagesUrl: `${baseURL}/threads/${thread.id}/messages?limit=20` };
}

async function post(baseURL: string, p: string, body: unknown): Promise<{ id: string; status?: string }> {
  const res = await fetch(`${baseURL}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status?: string };
}

/** Uploads `docs` as text files, adds them to a new store as one batch, and returns the seconds until it completes. */
async function ingest(baseURL: string, docs: Array<{ id: string; title: string; text: string }>): Promise<number> {
  const ids: string[] = [];
  for (const d of docs) {
    const form = new FormData();
    form.set("purpose", "assistants");
    form.set("file", new File([`${d.title}\n\n${d.text}`], `cran-${d.id}.txt`));
    const res = await fetch(`${baseURL}/files`, { method: "POST", body: form });
    if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const t0 = performance.now();
  const store = await post(baseURL, "/vector_stores", {});
  const batch = await post(baseURL, `/vector_stores/${store.id}/file_batches`, { file_ids: ids });
  for (;;) {
    const res = await fetch(`${baseURL}/vector_stores/${store.id}/file_batches/${batch.id}`);
    const b = (await res.json()) as { status: string; file_counts: { failed: number } };
    if (b.status !== "in_progress") {
      if (b.status !== "completed" || b.file_counts.failed > 0) throw new Error(`batch ended ${b.status}: ${JSON.stringify(b.file_counts)}`);
      return (performance.now() - t0) / 1000;
    }
    await sleep(50);
  }
}


main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
