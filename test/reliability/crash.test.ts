/**
 * Crash: the real server as a child process, driven by the openai SDK over HTTP. Each cycle puts 50 runs in
 * flight on a slow scripted model, a file ingesting through a slow embedding model, and writers adding
 * messages and uploading files; then SIGKILL, and a restart on the same DATA_DIR. After the restart:
 * every acknowledged message and file is there (bytes included), every interrupted run is terminal as soon
 * as the server answers (within 1 s of boot), no message is left in_progress, and the ingesting file ends
 * completed or failed with a reason.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOllamaFake, type ChatStep, type OllamaFake } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { byProfile, Figures, sleep, TERMINAL_RUN, until } from "./support/figures.js";

const CYCLES = byProfile(3, 1);
const RUNS_PER_CYCLE = 50;
const WRITER_THREADS = 8;
const FILE_WRITERS = 2;
/** A reply of 400 words at 50 ms a word: 20 s, far longer than a cycle. */
const SLOW_REPLY: ChatStep = { text: Array.from({ length: 400 }, (_, i) => `word${i}`).join(" "), delayMs: 50 };

interface Acked {
  messages: Map<string, { threadId: string; text: string }>;
  files: Map<string, string>; // id → sha256 of the bytes
  runs: Map<string, string>; // run id → thread id
  ingesting: Array<{ storeId: string; fileId: string }>;
}

describe("reliability: SIGKILL mid-flight and restart on the same DATA_DIR", () => {
  const figures = new Figures("crash recovery");
  const acked: Acked = { messages: new Map(), files: new Map(), runs: new Map(), ingesting: [] };
  let ollama: OllamaFake;
  let dataDir: string;
  let server: ServerProcess | undefined;
  let slow = true;

  beforeAll(async () => {
    ollama = await startOllamaFake({ models: [DEFAULT_TAG], embedDelayMs: 1500 });
    // Every chat call takes the next scripted step; while `slow`, replies crawl; afterwards they are instant.
    for (let i = 0; i < 1000; i++) ollama.script(() => (slow ? SLOW_REPLY : { text: "recovered" }));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-crash-"));
  });
  afterAll(async () => {
    figures.set("requests_tried", requestsTried);
    figures.set("faults_injected", figures.get("kills"));
    figures.print();
    await server?.stop();
    await ollama?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATA_DIR: dataDir, OLLAMA_HOST: ollama.url, RUN_CONCURRENCY: "16", MODEL_TIMEOUT_MS: "60000" });

  it(`${CYCLES} cycle(s) of 50 runs + ingestion + writers in flight, SIGKILL, restart: nothing acknowledged is lost`, { timeout: 300_000 }, async () => {
    server = await startServer(env());
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      slow = true;
      const client = sdk(server);
      const assistant = await client.beta.assistants.create({ model: "gpt-4o", instructions: "Be slow." });
      const threads = await Promise.all(Array.from({ length: RUNS_PER_CYCLE }, (_, i) => createThread(client, acked, `cycle ${cycle} thread ${i}`)));
      for (const thread of threads) {
        const run = await client.beta.threads.runs.create(thread, { assistant_id: assistant.id });
        acked.runs.set(run.id, thread);
      }
      // Started last, so its ~4.5 s of embedding (3 batches × 1.5 s) are surely still running at the kill.
      await startIngestion(client, acked);
      const stopWriters = startWriters(client, acked, cycle);
      // Let runs stream partial replies and the writers get going, with the file still being embedded.
      const chunksBefore = ollama.chunksSent;
      await until(() => ollama.chunksSent > chunksBefore + 50, 20_000, "partial replies");
      await sleep(500);
      await recordInFlight(client, acked, figures);

      await server.kill();
      figures.add("kills");
      await stopWriters();

      slow = false;
      const spawned = performance.now();
      server = await startServer(env());
      const bootedAt = performance.now();
      figures.set(`boot_ms_cycle_${cycle}`, Math.round(bootedAt - spawned));
      await checkRunsTerminal(sdk(server), acked, bootedAt, figures);
      await checkNothingLost(sdk(server), acked, figures);
    }
    await checkIngestionSettled(sdk(server), acked, figures);
    // And the restarted server works normally.
    const client = sdk(server);
    const assistant = await client.beta.assistants.create({ model: "gpt-4o" });
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "after the crash" }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    expect(run.status).toBe("completed");
    figures.set("losses", figures.get("lost_messages") + figures.get("lost_files") + figures.get("runs_not_terminal"));
    expect(figures.get("losses")).toBe(0);
  });
});

let requestsTried = 0;

function sdk(server: ServerProcess): OpenAI {
  const counting: typeof fetch = (input, init) => {
    requestsTried++;
    return fetch(input, init);
  };
  return new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0, timeout: 10_000, fetch: counting });
}

async function createThread(client: OpenAI, acked: Acked, text: string): Promise<string> {
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: text }] });
  const [message] = (await client.beta.threads.messages.list(thread.id)).data;
  acked.messages.set(message!.id, { threadId: thread.id, text });
  return thread.id;
}

/** A ~6,000-word file in a new vector store: several embedding batches at 1.5 s each. */
async function startIngestion(client: OpenAI, acked: Acked): Promise<void> {
  const text = Array.from({ length: 600 }, (_, i) => `Paragraph ${i} about reliability, crashes and recovery of local assistants.`).join("\n\n");
  const file = await client.files.create({ file: await toFile(Buffer.from(text), "long.txt"), purpose: "assistants" });
  acked.files.set(file.id, sha(Buffer.from(text)));
  const store = await client.vectorStores.create({ name: "crash", file_ids: [file.id], chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });
  acked.ingesting.push({ storeId: store.id, fileId: file.id });
}

/**
 * Writers adding messages to their own threads and uploading files until stopped (by the kill: their
 * requests start failing). Only what got a 200 back is recorded as acknowledged.
 */
function startWriters(client: OpenAI, acked: Acked, cycle: number): () => Promise<void> {
  let stop = false;
  const messageWriter = async (w: number): Promise<void> => {
    const thread = await client.beta.threads.create().catch(() => null);
    for (let i = 0; thread && !stop; i++) {
      const text = `cycle ${cycle} writer ${w} message ${i}`;
      const message = await client.beta.threads.messages.create(thread.id, { role: "user", content: text }).catch(() => null);
      if (!message) return;
      acked.messages.set(message.id, { threadId: thread.id, text });
    }
  };
  const fileWriter = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const bytes = Buffer.from(`cycle ${cycle} file writer ${w} upload ${i}\n`.repeat(1 + (i % 50)));
      const file = await client.files.create({ file: await toFile(bytes, `w${w}-${i}.txt`), purpose: "assistants" }).catch(() => null);
      if (!file) return;
      acked.files.set(file.id, sha(bytes));
    }
  };
  const all = Promise.all([
    ...Array.from({ length: WRITER_THREADS }, (_, w) => messageWriter(w)),
    ...Array.from({ length: FILE_WRITERS }, (_, w) => fileWriter(w)),
  ]);
  return async () => {
    stop = true;
    await all;
  };
}

/** What the kill interrupts: runs streaming or queued, and the file being embedded (it must be mid-way). */
async function recordInFlight(client: OpenAI, acked: Acked, figures: Figures): Promise<void> {
  const runs = await Promise.all([...acked.runs].map(([runId, threadId]) => client.beta.threads.runs.retrieve(runId, { thread_id: threadId })));
  figures.add("runs_in_progress_at_kill", runs.filter((r) => r.status === "in_progress").length);
  figures.add("runs_queued_at_kill", runs.filter((r) => r.status === "queued").length);
  const { storeId, fileId } = acked.ingesting.at(-1)!;
  const file = await client.vectorStores.files.retrieve(fileId, { vector_store_id: storeId });
  figures.add("files_ingesting_at_kill", file.status === "in_progress" ? 1 : 0);
  expect(file.status).toBe("in_progress");
}

/**
 * Every run ever created is terminal at the first look after boot. Recovery runs before the server listens,
 * so the first request already sees it; that request must come back within 1 s of /health answering.
 */
async function checkRunsTerminal(client: OpenAI, acked: Acked, bootedAt: number, figures: Figures): Promise<void> {
  const entries = [...acked.runs];
  const [firstRun, firstThread] = entries.at(-1)!;
  const first = await client.beta.threads.runs.retrieve(firstRun, { thread_id: firstThread });
  const firstMs = Math.round(performance.now() - bootedAt);
  const runs = [first];
  for (const [runId, threadId] of entries.slice(0, -1)) runs.push(await client.beta.threads.runs.retrieve(runId, { thread_id: threadId }));
  const allMs = Math.round(performance.now() - bootedAt);
  figures.set("max_ms_boot_to_first_run_read", Math.max(figures.get("max_ms_boot_to_first_run_read"), firstMs));
  figures.set("max_ms_boot_to_all_runs_read", Math.max(figures.get("max_ms_boot_to_all_runs_read"), allMs));
  const open = runs.filter((r) => !TERMINAL_RUN.has(r.status));
  figures.add("runs_not_terminal", open.length);
  figures.set("runs_checked", runs.length);
  figures.set("runs_interrupted_failed", runs.filter((r) => r.status === "failed" && r.last_error?.code === "server_error").length);
  expect(open.map((r) => `${r.id} ${r.status}`)).toEqual([]);
  expect(TERMINAL_RUN.has(first.status)).toBe(true);
  expect(firstMs).toBeLessThan(1000);
  for (const r of runs.filter((x) => x.status === "failed")) expect(r.last_error?.message).toMatch(/server stopped/);
  // Partial replies of interrupted runs are closed too: nothing stays in_progress.
  const threadIds = [...new Set(acked.runs.values())];
  const lists = await Promise.all(threadIds.map((t) => client.beta.threads.messages.list(t, { limit: 100 })));
  const openMessages = lists.flatMap((l) => l.data).filter((m) => m.status === "in_progress");
  figures.add("messages_left_in_progress", openMessages.length);
  expect(openMessages.map((m) => m.id)).toEqual([]);
}

async function checkNothingLost(client: OpenAI, acked: Acked, figures: Figures): Promise<void> {
  let lostMessages = 0;
  let lostFiles = 0;
  const byThread = new Map<string, Map<string, string>>();
  for (const [id, m] of acked.messages) {
    if (!byThread.has(m.threadId)) byThread.set(m.threadId, new Map());
    byThread.get(m.threadId)!.set(id, m.text);
  }
  for (const [threadId, expected] of byThread) {
    const stored = new Map<string, string>();
    for await (const m of client.beta.threads.messages.list(threadId, { limit: 100, order: "asc" })) {
      stored.set(m.id, m.content[0]?.type === "text" ? m.content[0].text.value : "");
    }
    for (const [id, text] of expected) if (stored.get(id) !== text) lostMessages++;
  }
  for (const [id, digest] of acked.files) {
    const bytes = await client.files.content(id).then((r) => r.arrayBuffer(), () => null);
    if (!bytes || sha(Buffer.from(bytes)) !== digest) lostFiles++;
  }
  figures.set("acked_messages", acked.messages.size);
  figures.set("acked_files", acked.files.size);
  figures.set("acked_runs", acked.runs.size);
  figures.set("lost_messages", lostMessages);
  figures.set("lost_files", lostFiles);
  expect({ lostMessages, lostFiles }).toEqual({ lostMessages: 0, lostFiles: 0 });
}

/** Files caught mid-ingestion resume at boot and end completed, or failed with a reason. */
async function checkIngestionSettled(client: OpenAI, acked: Acked, figures: Figures): Promise<void> {
  for (const { storeId, fileId } of acked.ingesting) {
    const file = await until(
      async () => {
        const f = await client.vectorStores.files.retrieve(fileId, { vector_store_id: storeId });
        return f.status === "in_progress" ? null : f;
      },
      90_000,
      `ingestion of ${fileId}`,
      200,
    );
    figures.add(`ingestion_${file.status}`);
    if (file.status === "failed") expect(file.last_error?.message).toBeTruthy();
    else expect(file.status).toBe("completed");
  }
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
