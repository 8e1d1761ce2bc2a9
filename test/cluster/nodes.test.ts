/**
 * Several server processes (real `src/main.ts` children) on one PostgreSQL: work is spread over them and each
 * run or response executes exactly once; a node killed mid-run has its work ended by another within the lease
 * time; cancel and tool outputs reach the run whichever node receives them; nodes booting together on an empty
 * schema race the migrations safely. Each test gets its own schema of one throwaway cluster.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import pg from "pg";
import S3rver from "s3rver";
import { startOllamaFake, type ChatScript, type OllamaFake } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { postgresBinaries, startPostgresCluster, type PostgresCluster } from "../helpers/postgres-cluster.js";
import { textOf, waitFor, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const installed = postgresBinaries() !== null;
if (!installed) console.warn("test/cluster: PostgreSQL is not installed (apt-get install postgresql): the cluster tests are skipped");

/** Short leases, so a dead node's work is taken over within a couple of seconds. */
const LEASE_SECONDS = "1.5";

/** Replies by prompt: "stall…" streams a little and never ends (a run to kill or cancel), the rest echo. */
const byPrompt: ChatScript = (body) => {
  const last = body.messages.at(-1)!;
  if (last.role === "tool") return { text: `tool said ${last.content}` };
  if (typeof last.content === "string" && last.content.startsWith("stall")) return { chunks: ["Hal", "f"], stallAfterChunks: 2 };
  if (typeof last.content === "string" && last.content.startsWith("slow")) return { chunks: ["one", " two", " three", " four", " five"], delayMs: 120 };
  if (last.content === "weather?") return { toolCalls: [{ name: "get_weather", arguments: { city: "Rome" } }] };
  return { text: `echo: ${last.content}` };
};

describe.skipIf(!installed)("several nodes on one PostgreSQL", () => {
  let cluster: PostgresCluster;
  let fake: OllamaFake;
  let schemaCount = 0;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.kill()));
    await fake?.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `n` nodes on one fresh schema, booted together; a shared DATA_DIR stands for the shared volume. */
  async function nodes(n: number, extra: Record<string, string> | Record<string, string>[] = {}, embedDelayMs = 0): Promise<{ clients: OpenAI[]; servers: ServerProcess[]; schema: string; dataDir: string; another: (more: Record<string, string>) => Promise<ServerProcess> }> {
    fake = await startOllamaFake({ models: [DEFAULT_TAG], embedDelayMs });
    fake.script(...Array.from({ length: 400 }, () => byPrompt));
    const schema = `cluster_${process.pid}_${++schemaCount}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-cluster-"));
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir, OLLAMA_HOST: fake.url, DATABASE_URL: cluster.url, DATABASE_SCHEMA: schema, CLUSTER_LEASE_SECONDS: LEASE_SECONDS, RUN_CONCURRENCY: "16" };
    // `extra`: for every node, or one entry per node.
    const envOf = (i: number) => ({ ...env, ...(Array.isArray(extra) ? extra[i] : extra) });
    const started = await Promise.all(Array.from({ length: n }, (_, i) => startServer(envOf(i), { healthTimeoutMs: 30_000 })));
    servers.push(...started);
    // A node started later on the same schema and volume.
    const another = async (more: Record<string, string>) => {
      const server = await startServer({ ...env, ...more }, { healthTimeoutMs: 30_000 });
      servers.push(server);
      return server;
    };
    return { servers: started, clients: started.map((s) => new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 })), schema, dataDir, another };
  }

  async function sql<T>(schema: string, text: string): Promise<T[]> {
    const client = new pg.Client(cluster.url);
    await client.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** A node's own count of one metric series (0 when it has none yet). */
  const counted = async (server: ServerProcess, series: string) => {
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };

  /** The chat requests the model received whose last message is `content`. */
  const modelCallsFor = (content: string) =>
    fake.requests.filter((r) => r.path === "/api/chat" && r.body?.messages?.at(-1)?.content === content).length;

  it("three nodes booting together on an empty schema migrate it once, and all serve it", { timeout: 90_000 }, async () => {
    const { clients, schema } = await nodes(3);
    const [version] = await sql<{ version: number }>(schema, "SELECT version FROM schema_version");
    expect(version!.version).toBeGreaterThan(0);
    expect(await sql(schema, "SELECT * FROM schema_version")).toHaveLength(1);
    const made = await clients[0]!.beta.assistants.create({ model: "gpt-4o", name: "shared" });
    for (const c of clients) expect((await c.beta.assistants.retrieve(made.id)).name).toBe("shared");
  });

  it("300 runs and background responses spread over three nodes each complete exactly once", { timeout: 240_000 }, async () => {
    const { clients } = await nodes(3);
    const assistant = await clients[0]!.beta.assistants.create({ model: "gpt-4o" });
    const runs: { node: number; threadId: string; runId: string; prompt: string }[] = [];
    const responses: { node: number; id: string; prompt: string }[] = [];
    for (let i = 0; i < 300; i++) {
      const node = i % 3;
      const c = clients[node]!;
      const prompt = `job ${i}`;
      if (i % 3 === 2) {
        responses.push({ node, id: (await c.responses.create({ model: "gpt-4o", input: prompt, background: true })).id, prompt });
      } else {
        const run = await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: prompt }] } });
        runs.push({ node, threadId: run.thread_id, runId: run.id, prompt });
      }
    }
    // Read back through another node than the one that created it.
    for (const r of runs) {
      const c = clients[(r.node + 1) % 3]!;
      const ended = await waitForRun(c, r.threadId, r.runId, undefined, 60_000);
      expect(ended.status, `run of "${r.prompt}"`).toBe("completed");
      const messages = await c.beta.threads.messages.list(r.threadId);
      expect(messages.data.filter((m) => m.role === "assistant").map(textOf)).toEqual([`echo: ${r.prompt}`]);
    }
    for (const r of responses) {
      const c = clients[(r.node + 2) % 3]!;
      const ended = await waitFor(async () => {
        const got = await c.responses.retrieve(r.id);
        return got.status === "completed" || got.status === "failed" ? got : null;
      }, 60_000, `response of "${r.prompt}"`);
      expect(ended.status).toBe("completed");
      expect(ended.output_text).toBe(`echo: ${r.prompt}`);
    }
    // Exactly one execution each: the model saw every prompt once.
    const twice = [...runs, ...responses].filter((w) => modelCallsFor(w.prompt) !== 1).map((w) => `${w.prompt}: ${modelCallsFor(w.prompt)}`);
    expect(twice).toEqual([]);
  });

  it("120 runs and background responses queued by an api node are taken by two workers claiming at once, each executed exactly once", { timeout: 120_000 }, async () => {
    const { clients: [c], servers: [, ...workers] } = await nodes(3, [{ ROLE: "api" }, { ROLE: "worker", RUN_CONCURRENCY: "4" }, { ROLE: "worker", RUN_CONCURRENCY: "4" }]);
    const assistant = await c!.beta.assistants.create({ model: "gpt-4o" });
    const work = await Promise.all(Array.from({ length: 120 }, async (_, i) => {
      const prompt = `queued ${i}`;
      if (i % 2 === 0) return { prompt, response: (await c!.responses.create({ model: "gpt-4o", input: prompt, background: true })).id };
      const run = await c!.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: prompt }] } });
      return { prompt, run: { threadId: run.thread_id, id: run.id } };
    }));
    for (const w of work) {
      if (w.run) expect((await waitForRun(c!, w.run.threadId, w.run.id, undefined, 60_000)).status, w.prompt).toBe("completed");
      else {
        const ended = await waitFor(async () => {
          const got = await c!.responses.retrieve(w.response!);
          return got.status === "completed" || got.status === "failed" ? got : null;
        }, 60_000, w.prompt);
        expect([ended.status, ended.output_text, ended.error?.message]).toEqual(["completed", `echo: ${w.prompt}`, undefined]);
      }
    }
    expect(work.filter((w) => modelCallsFor(w.prompt) !== 1).map((w) => `${w.prompt}: ${modelCallsFor(w.prompt)}`)).toEqual([]);
    // Both workers took a share of each kind.
    for (const worker of workers) {
      expect(await counted(worker, 'local_assistants_runs_ended_total{status="completed"}')).toBeGreaterThan(0);
      expect(await counted(worker, 'local_assistants_responses_ended_total{status="completed"}')).toBeGreaterThan(0);
    }
  });

  it("a node killed mid-run: another node ends its run and its background response failed, and the stream resumes there", { timeout: 60_000 }, async () => {
    const { clients, servers: [victim] } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o" });
    const run = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "stall run" }] } });
    const response = await a.responses.create({ model: "gpt-4o", input: "stall response", background: true });
    await waitFor(async () => ((await b.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id })).status === "in_progress" ? true : null), 10_000, "run in progress");
    await waitFor(() => (modelCallsFor("stall response") === 1 ? true : null), 10_000, "response at the model");

    await victim!.kill(); // SIGKILL: its leases are no longer renewed
    const killedAt = Date.now();
    const ended = await waitForRun(b, run.thread_id, run.id, undefined, 15_000);
    expect(ended.status).toBe("failed");
    expect(ended.last_error).toEqual({ code: "server_error", message: expect.stringMatching(/node executing this run stopped/) });
    const failed = await waitFor(async () => {
      const got = await b.responses.retrieve(response.id);
      return got.status === "failed" ? got : null;
    }, 15_000, "response failed");
    expect(failed.error?.message).toMatch(/node executing this response stopped/);
    // Bounded: the lease (1.5 s) plus a sweep (1 s), with room for a busy machine.
    expect(Date.now() - killedAt).toBeLessThan(8_000);
    // Its events are in the database: the stream resumed on the surviving node ends with response.failed.
    const stream = await b.responses.retrieve(response.id, { stream: true, starting_after: 0 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe("response.failed");
    // Executed once: nothing ran it again.
    expect(modelCallsFor("stall run")).toBe(1);
    expect(modelCallsFor("stall response")).toBe(1);
  });

  it("a background response executing on one node streams live from another, from starting_after to its end", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const created = await a.responses.create({ model: "gpt-4o", input: "slow count", background: true });
    await waitFor(() => (modelCallsFor("slow count") === 1 ? true : null), 10_000, "response at the model");
    const followed: { type: string; sequence_number: number; delta?: string }[] = [];
    for await (const event of await b.responses.retrieve(created.id, { stream: true, starting_after: 0 })) followed.push(event as (typeof followed)[number]);
    expect(followed.at(-1)!.type).toBe("response.completed");
    expect(followed.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("")).toBe("one two three four five");
    // Every event after 0, once, in order: the same as the executing node's stream gives from the start.
    const all: { sequence_number: number }[] = [];
    for await (const event of await a.responses.retrieve(created.id, { stream: true })) all.push(event);
    expect(followed.map((e) => e.sequence_number)).toEqual(all.map((e) => e.sequence_number).filter((n) => n > 0));
  });

  it("a node killed mid-ingestion: another node takes its store over and indexes the file again, once", { timeout: 90_000 }, async () => {
    // Each embedding batch takes a while: the file is still being indexed when its node dies.
    const { clients, servers: [victim] } = await nodes(2, {}, 700);
    const [a, b] = clients as [OpenAI, OpenAI];
    const words = Array.from({ length: 12_000 }, (_, i) => (i === 6_000 ? "zeppelin" : `w${i}`)).join(" ");
    const file = await a.files.create({ file: await toFile(Buffer.from(words), "long.txt"), purpose: "assistants" });
    const store = await a.vectorStores.create({ name: "shared" });
    await a.vectorStores.files.create(store.id, { file_id: file.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });
    await waitFor(() => (fake.embedRequests.length >= 1 ? true : null), 20_000, "the first embedding batch");
    await victim!.kill();

    const done = await waitFor(async () => {
      const f = await b.vectorStores.files.retrieve(file.id, { vector_store_id: store.id });
      return f.status !== "in_progress" ? f : null;
    }, 60_000, "the file indexed by the surviving node");
    expect(done.status).toBe("completed");
    // Indexed again from the start, not twice over: the file's chunks hold its text exactly once.
    const content = await b.vectorStores.files.content(file.id, { vector_store_id: store.id });
    const chunks = [];
    for await (const part of content) chunks.push(part.text ?? "");
    const indexed = chunks.join(" ").split(/\s+/).filter((w) => w !== "");
    expect(indexed).toEqual(words.split(" "));
    const hits = await b.vectorStores.search(store.id, { query: "zeppelin" });
    expect(hits.data[0]?.content[0]?.text).toContain("zeppelin");
  });

  it("a file added on one node to a store another node is indexing is handed to that node and indexed", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2, {}, 300);
    const [a, b] = clients as [OpenAI, OpenAI];
    const store = await a.vectorStores.create({ name: "two files" });
    const first = await a.files.create({ file: await toFile(Buffer.from(Array.from({ length: 3000 }, (_, i) => `alpha${i % 40}`).join(" ")), "a.txt"), purpose: "assistants" });
    await a.vectorStores.files.create(store.id, { file_id: first.id });
    await waitFor(() => (fake.embedRequests.length >= 1 ? true : null), 20_000, "a's file being embedded");
    const second = await b.files.create({ file: await toFile(Buffer.from("the quartz lantern sits on the shelf"), "b.txt"), purpose: "assistants" });
    await b.vectorStores.files.create(store.id, { file_id: second.id });
    for (const id of [first.id, second.id]) {
      const f = await waitFor(async () => {
        const got = await b.vectorStores.files.retrieve(id, { vector_store_id: store.id });
        return got.status !== "in_progress" ? got : null;
      }, 30_000, `file ${id} indexed`);
      expect(f.status).toBe("completed");
    }
    const hits = await a.vectorStores.search(store.id, { query: "quartz lantern" });
    expect(hits.data[0]?.file_id).toBe(second.id);
  });

  it("a file removed through another node than the one indexing its store is taken out of the index by the indexing node", { timeout: 60_000 }, async () => {
    const { clients, servers: [indexer], dataDir } = await nodes(2, { LOG_LEVEL: "debug" }, 300);
    const [a, b] = clients as [OpenAI, OpenAI];
    const store = await a.vectorStores.create({ name: "one writer" });
    const small = await a.files.create({ file: await toFile(Buffer.from("the quartz lantern sits on the shelf"), "small.txt"), purpose: "assistants" });
    await a.vectorStores.files.create(store.id, { file_id: small.id });
    await waitFor(async () => ((await a.vectorStores.files.retrieve(small.id, { vector_store_id: store.id })).status === "completed" ? true : null), 20_000, "the small file indexed");
    // A long file keeps node a indexing the store (holding it) while b receives the removal.
    const long = await a.files.create({ file: await toFile(Buffer.from(Array.from({ length: 3000 }, (_, i) => `alpha${i % 40}`).join(" ")), "long.txt"), purpose: "assistants" });
    const embedded = fake.embedRequests.length;
    await a.vectorStores.files.create(store.id, { file_id: long.id });
    await waitFor(() => (fake.embedRequests.length > embedded ? true : null), 20_000, "the long file being embedded");
    await b.vectorStores.files.delete(small.id, { vector_store_id: store.id });
    await waitFor(() => (indexer!.stdout().includes("removing from the index for another node") ? true : null), 10_000, "the removal handed to the indexing node");
    await waitFor(async () => ((await b.vectorStores.files.retrieve(long.id, { vector_store_id: store.id })).status === "completed" ? true : null), 30_000, "the long file indexed");
    // The index itself (read as LanceDB stores it): the removed file's chunks are gone, the long file's there.
    const lancedb = await import("@lancedb/lancedb");
    const table = await (await lancedb.connect(path.join(dataDir, "lancedb"))).openTable(store.id);
    expect(await table.countRows(`file_id = '${small.id}'`)).toBe(0);
    expect(await table.countRows(`file_id = '${long.id}'`)).toBeGreaterThan(0);
  });

  it("an API key created on one node works on the others, and once revoked there it stops working everywhere", { timeout: 60_000 }, async () => {
    const keysFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "la-cluster-keys-")), "keys.json");
    dirs.push(path.dirname(keysFile));
    const admin = "sk-admin-cluster-test";
    fs.writeFileSync(keysFile, JSON.stringify({ keys: [{ name: "ops", sha256: createHash("sha256").update(admin).digest("hex"), project: "default", admin: true }] }));
    const { servers: [a, b] } = await nodes(2, { API_KEYS_FILE: keysFile });
    const call = (server: ServerProcess, key: string, pathname: string, init: RequestInit = {}) =>
      fetch(`${server.baseURL}${pathname}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } });
    const created = (await (await call(a!, admin, "/organization/projects/proj_x/api_keys", { method: "POST", body: JSON.stringify({ name: "app" }) })).json()) as { id: string; value: string };
    await waitFor(async () => ((await call(b!, created.value, "/assistants")).status === 200 ? true : null), 5_000, "the new key on the other node");
    expect((await call(a!, admin, `/organization/projects/proj_x/api_keys/${created.id}`, { method: "DELETE" })).status).toBe(200);
    await waitFor(async () => ((await call(b!, created.value, "/assistants")).status === 401 ? true : null), 5_000, "the revoked key refused by the other node");
  });

  it("ROLE=api leaves queued runs and indexing to ROLE=worker, executes what it streams; a worker answers only /health and /metrics", { timeout: 60_000 }, async () => {
    const { clients, servers: [api, worker] } = await nodes(2, [{ ROLE: "api" }, { ROLE: "worker" }]);
    const c = clients[0]!;
    const assistant = await c.beta.assistants.create({ model: "gpt-4o" });
    const run = await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "plain run" }] } });
    expect((await waitForRun(c, run.thread_id, run.id, undefined, 10_000)).status).toBe("completed");
    const streamed = await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "streamed run" }] }, stream: true });
    for await (const _event of streamed); // to its end
    const file = await c.files.create({ file: await toFile(Buffer.from("the worker indexes this"), "w.txt"), purpose: "assistants" });
    const store = await c.vectorStores.create({ file_ids: [file.id] });
    await waitFor(async () => ((await c.vectorStores.retrieve(store.id)).file_counts.completed === 1 ? true : null), 15_000, "the file indexed");

    // Which node did what, from each node's own counters.
    expect(await counted(worker!, 'local_assistants_runs_ended_total{status="completed"}')).toBe(1);
    expect(await counted(api!, 'local_assistants_runs_ended_total{status="completed"}')).toBe(1);
    expect(await counted(worker!, 'local_assistants_ingestion_files_total{status="completed"}')).toBe(1);
    expect(await counted(api!, 'local_assistants_ingestion_files_total{status="completed"}')).toBe(0);
    expect((await fetch(`${worker!.baseURL}/assistants`)).status).toBe(404);
    expect((await fetch(`${worker!.origin}/health`)).status).toBe(200);
  });

  it("a cancel sent to another node ends a run still waiting for a slot on its node at once", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2, { RUN_CONCURRENCY: "1" });
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o" });
    const busy = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "stall the slot" }] } });
    await waitFor(() => (modelCallsFor("stall the slot") === 1 ? true : null), 10_000, "the slot taken");
    const waiting = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "waits" }] } });
    expect((await b.beta.threads.runs.retrieve(waiting.id, { thread_id: waiting.thread_id })).status).toBe("queued");
    await b.beta.threads.runs.cancel(waiting.id, { thread_id: waiting.thread_id });
    expect((await waitForRun(b, waiting.thread_id, waiting.id, undefined, 5_000)).status).toBe("cancelled");
    await b.beta.threads.runs.cancel(busy.id, { thread_id: busy.thread_id });
    expect((await waitForRun(b, busy.thread_id, busy.id, undefined, 5_000)).status).toBe("cancelled");
    expect(modelCallsFor("waits")).toBe(0); // it never ran
  });

  it("two nodes starting a run on one thread at once: one run starts, the other request gets the active-run 400", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o" });
    for (let i = 0; i < 15; i++) {
      const thread = await a.beta.threads.create({ messages: [{ role: "user", content: `stall race ${i}` }] });
      const tries = await Promise.allSettled([a, b].map((c) => c.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })));
      const refused = tries.filter((t) => t.status === "rejected").map((t) => (t as PromiseRejectedResult).reason as { status?: number; message?: string });
      expect(tries.filter((t) => t.status === "fulfilled")).toHaveLength(1);
      expect(refused.map((r) => [r.status, /already has an active run/.test(r.message ?? "")])).toEqual([[400, true]]);
    }
  });

  it("a node that stalls past its lease finds its run taken over when it wakes, and stops it without writing over it", { timeout: 60_000 }, async () => {
    const { clients, servers: [sleeper] } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o" });
    const run = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "stall while asleep" }] } });
    await waitFor(() => (modelCallsFor("stall while asleep") === 1 ? true : null), 10_000, "the run at the model");
    process.kill(-sleeper!.pid, "SIGSTOP"); // the whole node freezes: no renewals
    try {
      const ended = await waitForRun(b, run.thread_id, run.id, undefined, 15_000);
      expect(ended.status).toBe("failed");
    } finally {
      process.kill(-sleeper!.pid, "SIGCONT");
    }
    await waitFor(() => (sleeper!.stdout().includes("a lease of this node was taken by another node") ? true : null), 10_000, "the woken node noticing");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await b.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
    expect(after.status).toBe("failed");
    expect(after.last_error?.message).toMatch(/node executing this run stopped/);
  });

  it("with BLOB_STORE on S3-compatible storage nodes need no shared volume: files and the index are read from the bucket", { timeout: 60_000 }, async () => {
    const bucketDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-cluster-s3-"));
    dirs.push(bucketDir);
    const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: bucketDir, configureBuckets: [{ name: "shared" }] });
    const { port } = await s3.run();
    try {
      const own = () => fs.mkdtempSync(path.join(os.tmpdir(), "la-cluster-own-"));
      const [dirA, dirB] = [own(), own()];
      dirs.push(dirA, dirB);
      const bucket = { BLOB_STORE: "s3://shared/site", S3_ENDPOINT: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", EMBEDDING_MODEL: "" };
      const { clients } = await nodes(2, [{ ...bucket, DATA_DIR: dirA }, { ...bucket, DATA_DIR: dirB }]);
      const [a, b] = clients as [OpenAI, OpenAI];
      const text = "The brass astrolabe is kept in the east tower.";
      const file = await a.files.create({ file: await toFile(Buffer.from(text), "astrolabe.txt"), purpose: "assistants" });
      const store = await a.vectorStores.create({ file_ids: [file.id] });
      await waitFor(async () => ((await b.vectorStores.retrieve(store.id)).file_counts.completed === 1 ? true : null), 20_000, "the file indexed");
      expect(Buffer.from(await (await b.files.content(file.id)).arrayBuffer()).toString()).toBe(text);
      const hits = await b.vectorStores.search(store.id, { query: "brass astrolabe" });
      expect(hits.data[0]?.file_id).toBe(file.id);
      expect(fs.existsSync(path.join(dirA, "lancedb")) || fs.existsSync(path.join(dirB, "lancedb"))).toBe(false);
    } finally {
      // The nodes first: s3rver's close waits for every connection to it, and theirs stay open while they run.
      await Promise.all(servers.splice(0).map((s) => s.kill()));
      await s3.close();
    }
  });

  const outputText = (response: OpenAI.Responses.Response) => response.output.flatMap((o) => (o.type === "message" ? o.content.map((c) => (c.type === "output_text" ? c.text : "")) : [])).join("");
  const itemTexts = async (c: OpenAI, conversationId: string) =>
    (await c.conversations.items.list(conversationId, { order: "asc" })).data.map((item) => (item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : item.type));

  it("ROLE=api leaves background responses to a worker: queued, executed there, streamed from the api node, in a conversation too", { timeout: 60_000 }, async () => {
    const { clients, servers: [api, worker] } = await nodes(2, [{ ROLE: "api" }, { ROLE: "worker" }]);
    const c = clients[0]!;
    const queued = await c.responses.create({ model: "gpt-4o", input: "slow in the background", background: true });
    expect(queued.status).toBe("queued");
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await c.responses.retrieve(queued.id, { stream: true })) events.push(event);
    expect(events.slice(0, 3).map((e) => [e.type, "response" in e ? e.response.status : null])).toEqual([["response.created", "queued"], ["response.queued", "queued"], ["response.in_progress", "in_progress"]]);
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const done = await c.responses.retrieve(queued.id);
    expect([done.status, outputText(done)]).toEqual(["completed", "one two three four five"]);

    // Created streaming: the creating request reads the worker's events as they are stored.
    const streamed: string[] = [];
    for await (const event of await c.responses.create({ model: "gpt-4o", input: "streamed to the api node", background: true, stream: true })) streamed.push(event.type);
    expect(streamed.slice(0, 2)).toEqual(["response.created", "response.queued"]);
    expect(streamed).toContain("response.output_text.delta");
    expect(streamed.at(-1)).toBe("response.completed");

    // In a conversation: held while queued and running, its items added once it ended.
    const conversation = await c.conversations.create({});
    const first = await c.responses.create({ model: "gpt-4o", input: "slow in the conversation", conversation: conversation.id, background: true });
    const refused = await c.responses.create({ model: "gpt-4o", input: "me too", conversation: conversation.id }).catch((err: unknown) => err as { status?: number; code?: string });
    expect(refused).toMatchObject({ status: 400, code: "conversation_locked" });
    await waitFor(async () => ((await c.responses.retrieve(first.id)).status === "completed" ? true : null), 10_000, "the conversation's response completed");
    expect(await itemTexts(c, conversation.id)).toEqual(["slow in the conversation", "one two three four five"]);
    // The same items as the response's own: the input kept its ids from the api node.
    const inputItem = (await c.responses.inputItems.list(first.id)).data[0]!;
    expect((await c.conversations.items.list(conversation.id, { order: "asc" })).data[0]!.id).toBe(inputItem.id);
    const after = await c.responses.create({ model: "gpt-4o", input: "after it", conversation: conversation.id, background: true });
    await waitFor(async () => ((await c.responses.retrieve(after.id)).status === "completed" ? true : null), 10_000, "the next one completed");

    expect(await counted(worker!, 'local_assistants_responses_ended_total{status="completed"}')).toBe(4);
    expect(await counted(api!, 'local_assistants_responses_ended_total{status="completed"}')).toBe(0);
  });

  it("a response queued on an api node holds its conversation until cancelled or deleted there; a worker started later takes the next", { timeout: 60_000 }, async () => {
    const { clients: [c], another } = await nodes(1, { ROLE: "api" });
    const conversation = await c!.conversations.create({});
    const waiting = await c!.responses.create({ model: "gpt-4o", input: "never taken", conversation: conversation.id, background: true });
    const refused = await c!.responses.create({ model: "gpt-4o", input: "me too", conversation: conversation.id }).catch((err: unknown) => err as { status?: number; code?: string });
    expect(refused).toMatchObject({ status: 400, code: "conversation_locked" });
    expect((await c!.responses.cancel(waiting.id)).status).toBe("cancelled");
    // Free again: a plain response executes on the api node itself.
    expect(outputText(await c!.responses.create({ model: "gpt-4o", input: "now me", conversation: conversation.id }))).toBe("echo: now me");
    const deleted = await c!.responses.create({ model: "gpt-4o", input: "deleted while queued", conversation: conversation.id, background: true });
    await c!.responses.delete(deleted.id);
    const later = await c!.responses.create({ model: "gpt-4o", input: "taken later", conversation: conversation.id, background: true });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await c!.responses.retrieve(later.id)).status).toBe("queued"); // nobody takes it: no worker yet
    await another({ ROLE: "worker" });
    await waitFor(async () => ((await c!.responses.retrieve(later.id)).status === "completed" ? true : null), 15_000, "the worker took it");
    expect(await itemTexts(c!, conversation.id)).toEqual(["now me", "echo: now me", "taken later", "echo: taken later"]);
    expect(modelCallsFor("never taken") + modelCallsFor("deleted while queued")).toBe(0);
  });

  it("a queued response's conversation stays held after the api node that queued it dies; deleted while a worker runs it, it stops there", { timeout: 60_000 }, async () => {
    const { clients: [a, b], servers: [dying], another } = await nodes(2, { ROLE: "api" });
    const conversation = await a!.conversations.create({});
    const queued = await a!.responses.create({ model: "gpt-4o", input: "queued before the crash", conversation: conversation.id, background: true });
    await dying!.kill(); // SIGKILL
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // twice the lease: a lease of that node alone would have lapsed
    const refused = await b!.responses.create({ model: "gpt-4o", input: "me too", conversation: conversation.id }).catch((err: unknown) => err as { status?: number; code?: string });
    expect(refused).toMatchObject({ status: 400, code: "conversation_locked" });
    await another({ ROLE: "worker" });
    await waitFor(async () => ((await b!.responses.retrieve(queued.id)).status === "completed" ? true : null), 15_000, "the worker took it");
    expect(await itemTexts(b!, conversation.id)).toEqual(["queued before the crash", "echo: queued before the crash"]);

    // Deleted through the api node while the worker executes it: the worker stops, stores nothing more.
    const running = await b!.responses.create({ model: "gpt-4o", input: "stall on the worker", conversation: conversation.id, background: true });
    await waitFor(() => (modelCallsFor("stall on the worker") === 1 ? true : null), 10_000, "at the model on the worker");
    await b!.responses.delete(running.id);
    const next = await waitFor(() => b!.responses.create({ model: "gpt-4o", input: "after the delete", conversation: conversation.id }).catch(() => null), 10_000, "the conversation free again");
    expect(outputText(next)).toBe("echo: after the delete");
    expect(await itemTexts(b!, conversation.id)).toEqual(["queued before the crash", "echo: queued before the crash", "after the delete", "echo: after the delete"]);
    expect(await b!.responses.retrieve(running.id).catch((err: unknown) => (err as { status?: number }).status)).toBe(404);
  });

  it("a conversation held by a response on one node is refused to a response on another until it ends", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const conversation = await a.conversations.create({});
    const first = await a.responses.create({ model: "gpt-4o", input: "stall in the conversation", conversation: conversation.id, background: true });
    await waitFor(() => (modelCallsFor("stall in the conversation") === 1 ? true : null), 10_000, "the first response at the model");
    const refused = await b.responses.create({ model: "gpt-4o", input: "me too", conversation: conversation.id }).catch((err: unknown) => err as { status?: number; code?: string });
    expect(refused).toMatchObject({ status: 400, code: "conversation_locked" });
    expect((await b.responses.cancel(first.id)).status).toBe("cancelled");
    const next = await b.responses.create({ model: "gpt-4o", input: "now me", conversation: conversation.id });
    expect(next.status).toBe("completed");
  });

  it("a node stopped gracefully leaves its queued runs to the others; its running run ends failed", { timeout: 60_000 }, async () => {
    const { clients, servers: [leaving] } = await nodes(2, { RUN_CONCURRENCY: "1" });
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o" });
    const running = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "stall on the leaving node" }] } });
    await waitFor(() => (modelCallsFor("stall on the leaving node") === 1 ? true : null), 10_000, "the slot taken");
    const waiting = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "finish elsewhere" }] } });
    await leaving!.stop(); // SIGTERM: graceful shutdown
    expect((await waitForRun(b, waiting.thread_id, waiting.id, undefined, 10_000)).status).toBe("completed");
    expect((await b.beta.threads.runs.retrieve(running.id, { thread_id: running.thread_id })).status).toBe("failed");
  });

  it("cancel and tool outputs sent to the other node reach the run and response executing on the first", { timeout: 60_000 }, async () => {
    const { clients } = await nodes(2);
    const [a, b] = clients as [OpenAI, OpenAI];
    const assistant = await a.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });

    const stalled = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "stall me" }] } });
    await waitFor(async () => ((await b.beta.threads.runs.retrieve(stalled.id, { thread_id: stalled.thread_id })).status === "in_progress" ? true : null), 10_000, "run in progress");
    expect((await b.beta.threads.runs.cancel(stalled.id, { thread_id: stalled.thread_id })).status).toBe("cancelling");
    expect((await waitForRun(b, stalled.thread_id, stalled.id, undefined, 10_000)).status).toBe("cancelled");

    const background = await a.responses.create({ model: "gpt-4o", input: "stall background", background: true });
    await waitFor(() => (modelCallsFor("stall background") === 1 ? true : null), 10_000, "response at the model");
    expect((await b.responses.cancel(background.id)).status).toBe("cancelled");
    expect((await a.responses.retrieve(background.id)).status).toBe("cancelled");

    const waiting = await a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "weather?" }] } });
    const action = await waitForRun(a, waiting.thread_id, waiting.id, undefined, 10_000);
    expect(action.status).toBe("requires_action");
    const callId = action.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    await b.beta.threads.runs.submitToolOutputs(waiting.id, { thread_id: waiting.thread_id, tool_outputs: [{ tool_call_id: callId, output: "sunny" }] });
    expect((await waitForRun(a, waiting.thread_id, waiting.id, undefined, 10_000)).status).toBe("completed");
    const reply = (await a.beta.threads.messages.list(waiting.thread_id)).data.find((m) => m.role === "assistant");
    expect(textOf(reply!)).toBe("tool said sunny");
  });
});
