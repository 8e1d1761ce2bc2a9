/**
 * Run overhead with a zero-latency model: what the server adds around a model call (validation, queue,
 * SQLite writes, steps, message, events, HTTP) between "create run" and "run completed".
 *
 *   npx tsx bench/run-overhead.ts [threads=100] [messages already stored=0]
 *
 * The app is driven in-process through `app.request` (no socket): create a run, then poll it back to back
 * until it is completed. Printed beside the same number of bare `chat()` calls on the same model, measured
 * in the same process, so the difference is the run machinery alone.
 *   1. sequential: one run at a time → latency p50/p95 and the overhead over a bare chat() call, measured after
 *      STEADY_AFTER runs (the first THREADS runs after WARMUP are printed too, as the cold figure);
 *   2. concurrent, over CONCURRENT_RUNS runs (or `threads`, if more) each, clients polling every 1 ms (their
 *      latencies include that poll interval), with the event loop's utilization printed beside each rate:
 *      - SATURATING_CLIENTS_PER_SLOT × RUN_CONCURRENCY clients → runs/s, the goal's figure: the server's rate
 *        when it is kept busy (runs beyond the engine's slots wait in its queue, as under real load);
 *      - RUN_CONCURRENCY clients (one per slot) → runs/s, printed without a goal. Each client sleeps at least 1 ms
 *        per run, so this rate is partly the clients' own: the event loop sat idle ~13 % of the phase.
 * Goals (#22): ≤ 0.5 ms p50 run overhead, ≥ 1,500 runs/s.
 */
import { performance } from "node:perf_hooks";
import type { ChatRequest } from "../src/llm/chat-model.js";
import { benchApp, ms, printTable, STEADY_AFTER, summary, timeBareChat, ZeroLatencyModel, type BenchApp } from "./zero-latency-model.js";
import { benchLine } from "./bench-report.js";

const THREADS = Number(process.argv[2] ?? 100);
/** Messages already in the store before measuring (in threads of 10): what a run costs in a store that has history. */
const SEED_MESSAGES = Number(process.argv[3] ?? 0);
const WARMUP = 20;
/** Runs in each concurrent phase, at least: 100 runs at a time last ~70 ms, too short for a rate. */
const CONCURRENT_RUNS = 1000;
/**
 * Clients per engine slot for the throughput goal. With one per slot the server was idle 13 % of the phase
 * (event-loop utilization 0.87) while every client slept out its poll interval; with two it is kept busy
 * (BENCHMARKS.md, "Run throughput: measured with the server kept busy").
 */
const SATURATING_CLIENTS_PER_SLOT = 2;

interface Client {
  post(path: string, body: unknown): Promise<{ id: string; status: string }>;
  get(path: string): Promise<{ id: string; status: string }>;
}

function clientFor(b: BenchApp): Client {
  const call = async (path: string, init?: RequestInit) => {
    const res = await b.app.request(`http://bench.local/v1${path}`, init);
    if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; status: string };
  };
  return {
    post: (path, body) => call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    get: (path) => call(path),
  };
}

/**
 * Creates a run and polls it until it completes; returns ms. Between polls: one event-loop turn (precise
 * latency) or `pollMs` (several clients at once, so their polling does not starve the runs of CPU).
 */
async function timeRun(c: Client, assistantId: string, threadId: string, pollMs = 0): Promise<number> {
  const start = performance.now();
  let run = await c.post(`/threads/${threadId}/runs`, { assistant_id: assistantId });
  while (run.status !== "completed") {
    if (["failed", "cancelled", "expired", "incomplete"].includes(run.status)) throw new Error(`run ended ${run.status}`);
    await new Promise((resolve) => (pollMs === 0 ? setImmediate(resolve) : setTimeout(resolve, pollMs)));
    run = await c.get(`/threads/${threadId}/runs/${run.id}`);
  }
  return performance.now() - start;
}

interface ConcurrentPhase {
  clients: number;
  runsPerSecond: number;
  latencies: number[];
  /** The event loop's utilization over the phase (1: never idle). */
  loopBusy: number;
}

/** One run per thread, `clients` at a time, each polling every 1 ms. */
async function timeConcurrent(c: Client, assistantId: string, threads: string[], clients: number): Promise<ConcurrentPhase> {
  const queue = [...threads];
  const latencies: number[] = [];
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let thread = queue.shift(); thread; thread = queue.shift()) latencies.push(await timeRun(c, assistantId, thread, 1));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { clients, runsPerSecond: threads.length / seconds, latencies, loopBusy: performance.eventLoopUtilization(loopBefore).utilization };
}

const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;

async function makeThreads(c: Client, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await c.post("/threads", { messages: [{ role: "user", content: `Question number ${i}: what is the answer?` }] })).id);
  }
  return ids;
}

async function main(): Promise<void> {
  const model = new ZeroLatencyModel();
  const b = await benchApp(model);
  const c = clientFor(b);
  const concurrency = b.services.config.runs.concurrency;
  const assistant = await c.post("/assistants", { model: "gpt-4o", instructions: "You are a benchmark." });

  for (let i = 0; i < SEED_MESSAGES / 10; i++) {
    await c.post("/threads", { messages: Array.from({ length: 10 }, (_, m) => ({ role: "user", content: `Earlier message ${m} of thread ${i}.` })) });
  }
  for (const thread of await makeThreads(c, WARMUP)) await timeRun(c, assistant.id, thread);
  const cold: number[] = [];
  for (const thread of await makeThreads(c, THREADS)) cold.push(await timeRun(c, assistant.id, thread));
  for (const thread of await makeThreads(c, Math.max(0, STEADY_AFTER - WARMUP - THREADS))) await timeRun(c, assistant.id, thread);

  const sequentialThreads = await makeThreads(c, THREADS);
  const sequential: number[] = [];
  for (const thread of sequentialThreads) sequential.push(await timeRun(c, assistant.id, thread));

  const request: ChatRequest = {
    model: "llama3.2:3b",
    messages: [
      { role: "system", content: "You are a benchmark." },
      { role: "user", content: "Question number 0: what is the answer?" },
    ],
    options: { num_ctx: 8192 },
  };
  for (let i = 0; i < WARMUP; i++) await timeBareChat(model, request);
  const bare: number[] = [];
  for (let i = 0; i < THREADS; i++) bare.push(await timeBareChat(model, request));

  const concurrentRuns = Math.max(THREADS, CONCURRENT_RUNS);
  const onePerSlot = await timeConcurrent(c, assistant.id, await makeThreads(c, concurrentRuns), concurrency);
  const clients = SATURATING_CLIENTS_PER_SLOT * concurrency;
  const saturated = await timeConcurrent(c, assistant.id, await makeThreads(c, concurrentRuns), clients);
  await b.close();

  const seq = summary(sequential);
  const coldSeq = summary(cold);
  const chat = summary(bare);
  const overheadP50 = seq.p50 - chat.p50;
  const runsPerSecond = saturated.runsPerSecond;
  console.log(`\nrun overhead, zero-latency model, ${THREADS} threads, RUN_CONCURRENCY=${concurrency} (Node ${process.version})\n`);
  printTable(
    ["measure", "p50", "p95", "mean"],
    [
      ["bare chat() call", ms(chat.p50), ms(chat.p95), ms(chat.mean)],
      [`run create → completed, one at a time, first ${THREADS} after ${WARMUP} (cold)`, ms(coldSeq.p50), ms(coldSeq.p95), ms(coldSeq.mean)],
      [`run create → completed, one at a time, after ${Math.max(STEADY_AFTER, WARMUP + THREADS)} runs`, ms(seq.p50), ms(seq.p95), ms(seq.mean)],
      ...[onePerSlot, saturated].map((phase) => {
        const l = summary(phase.latencies);
        return [`run create → completed, ${phase.clients} clients, ${concurrency} slots (${concurrentRuns} runs)`, ms(l.p50), ms(l.p95), ms(l.mean)];
      }),
    ],
  );
  console.log("");
  printTable(
    ["goal", "measured", "target", "met"],
    [
      ["p50 run overhead (run − bare chat)", ms(overheadP50), "≤ 0.5 ms", overheadP50 <= 0.5 ? "yes" : "NO"],
      [`throughput, ${clients} clients (event loop ${pct(saturated.loopBusy)} busy)`, `${runsPerSecond.toFixed(0)} runs/s`, "≥ 1,500 runs/s", runsPerSecond >= 1500 ? "yes" : "NO"],
      [`throughput, ${concurrency} clients (event loop ${pct(onePerSlot.loopBusy)} busy)`, `${onePerSlot.runsPerSecond.toFixed(0)} runs/s`, "", ""],
    ],
  );
  benchLine({ name: "run_overhead_p50", value: Number(overheadP50.toFixed(3)), unit: "ms", baseline: Number(chat.p50.toFixed(3)), baseline_name: "bare chat() call", goal: "<= 0.5", met: overheadP50 <= 0.5 }); // #22
  benchLine({ name: "run_overhead_cold_p50", value: Number((coldSeq.p50 - chat.p50).toFixed(3)), unit: "ms", baseline: Number(chat.p50.toFixed(3)), baseline_name: "bare chat() call", goal: null });
  benchLine({ name: "run_throughput", value: Math.round(runsPerSecond), unit: "runs/s", baseline: null, goal: ">= 1500", met: runsPerSecond >= 1500 }); // #22
  benchLine({ name: "run_throughput_event_loop_busy", value: Number(saturated.loopBusy.toFixed(3)), unit: "", baseline: null, goal: null });
  benchLine({ name: "run_throughput_one_client_per_slot", value: Math.round(onePerSlot.runsPerSecond), unit: "runs/s", baseline: null, goal: null });
  benchLine({ name: "run_throughput_one_client_per_slot_event_loop_busy", value: Number(onePerSlot.loopBusy.toFixed(3)), unit: "", baseline: null, goal: null });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
