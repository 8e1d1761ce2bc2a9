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
 *   2. concurrent: RUN_CONCURRENCY clients at once (the engine's limit from config), polling every 1 ms, over
 *      CONCURRENT_RUNS runs (or `threads`, if more) → runs/s (their latencies include that poll interval).
 * Goals (#22): ≤ 0.5 ms p50 run overhead, ≥ 1,500 runs/s.
 */
import type { ChatRequest } from "../src/llm/chat-model.js";
import { benchApp, ms, printTable, summary, timeBareChat, ZeroLatencyModel, type BenchApp } from "./zero-latency-model.js";
import { benchLine } from "./bench-report.js";

const THREADS = Number(process.argv[2] ?? 100);
/** Messages already in the store before measuring (in threads of 10): what a run costs in a store that has history. */
const SEED_MESSAGES = Number(process.argv[3] ?? 0);
const WARMUP = 20;
/**
 * Runs before the measured ones, counting WARMUP and the cold sample. The goal is a long-running server's
 * overhead, and V8 goes on compiling the run path for the first ~1,500 runs: p50 per block of 250 runs from
 * start, 0.82, 0.68–0.71, 0.59–0.64, 0.52–0.59, 0.48–0.52, then 0.41–0.49 ms (BENCHMARKS.md, "Run overhead:
 * measured warm"). The first runs are still measured and printed, as the cold figure, without a goal.
 */
const STEADY_AFTER = 2000;
/** Runs in the concurrent phase, at least: 100 runs at a time last ~70 ms, too short for a rate. */
const CONCURRENT_RUNS = 1000;

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
  const concurrentThreads = await makeThreads(c, concurrentRuns);
  const concurrent: number[] = [];
  const queue = [...concurrentThreads];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let thread = queue.shift(); thread; thread = queue.shift()) concurrent.push(await timeRun(c, assistant.id, thread, 1));
    }),
  );
  const wall = (performance.now() - started) / 1000;
  await b.close();

  const seq = summary(sequential);
  const coldSeq = summary(cold);
  const chat = summary(bare);
  const conc = summary(concurrent);
  const overheadP50 = seq.p50 - chat.p50;
  const runsPerSecond = concurrentRuns / wall;
  console.log(`\nrun overhead, zero-latency model, ${THREADS} threads, RUN_CONCURRENCY=${concurrency} (Node ${process.version})\n`);
  printTable(
    ["measure", "p50", "p95", "mean"],
    [
      ["bare chat() call", ms(chat.p50), ms(chat.p95), ms(chat.mean)],
      [`run create → completed, one at a time, first ${THREADS} after ${WARMUP} (cold)`, ms(coldSeq.p50), ms(coldSeq.p95), ms(coldSeq.mean)],
      [`run create → completed, one at a time, after ${Math.max(STEADY_AFTER, WARMUP + THREADS)} runs`, ms(seq.p50), ms(seq.p95), ms(seq.mean)],
      [`run create → completed, ${concurrency} at a time (${concurrentRuns} runs)`, ms(conc.p50), ms(conc.p95), ms(conc.mean)],
    ],
  );
  console.log("");
  printTable(
    ["goal", "measured", "target", "met"],
    [
      ["p50 run overhead (run − bare chat)", ms(overheadP50), "≤ 0.5 ms", overheadP50 <= 0.5 ? "yes" : "NO"],
      ["throughput", `${runsPerSecond.toFixed(0)} runs/s`, "≥ 1,500 runs/s", runsPerSecond >= 1500 ? "yes" : "NO"],
    ],
  );
  benchLine({ name: "run_overhead_p50", value: Number(overheadP50.toFixed(3)), unit: "ms", baseline: Number(chat.p50.toFixed(3)), baseline_name: "bare chat() call", goal: "<= 0.5", met: overheadP50 <= 0.5 }); // #22
  benchLine({ name: "run_overhead_cold_p50", value: Number((coldSeq.p50 - chat.p50).toFixed(3)), unit: "ms", baseline: Number(chat.p50.toFixed(3)), baseline_name: "bare chat() call", goal: null });
  benchLine({ name: "run_throughput", value: Math.round(runsPerSecond), unit: "runs/s", baseline: null, goal: ">= 1500", met: runsPerSecond >= 1500 }); // #22
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
