/**
 * What one code_interpreter call adds to a run, beyond the JavaScript evaluation itself.
 *
 *   npx tsx bench/code-interpreter.ts [runs=100]
 *
 * A zero-latency in-process ChatModel (passed through createServices' `chat` override, no Ollama) answers:
 *   - "with tool" threads: first a code_interpreter tool_call of CODE, then (after reading the tool result) a
 *     short text — two model calls, a tool_calls step, the sandbox call, a message_creation step;
 *   - "no tool" threads: the short text at once.
 * Each run is timed create → completed through `app.request` (in-process, no socket), the two kinds interleaved
 * so drift hits both alike. Two ways to see "completed":
 *   - stream: POST the run with `stream: true` and read the SSE response until it ends after
 *     `thread.run.completed` (the headline: the client burns no CPU while it waits);
 *   - poll: POST the run, then GET it back to back every event-loop turn (as bench/run-overhead.ts does). On a
 *     machine with few cores this busy client competes with the sandbox worker thread for CPU.
 * And three session situations:
 *   1. a new thread per run, back to back: each call opens a new sandbox session (fresh QuickJS context);
 *   2. the same with 50 ms of untimed idle between runs, as a real model's latency gives the sandbox worker
 *      time to prepare the next session's WASM module;
 *   3. one thread per kind (the session is reused; an untimed user message is added before each run).
 * Beside them, in the same process: the bare QuickJS eval of CODE (quickjs-emscripten `getQuickJS()`, a fresh
 * context per eval).
 *
 *   added p50 = p50(run with tool) − p50(run without tool) − p50(bare eval)
 *
 * Goal: ≤ 5 ms for stream + new thread per run, back to back. The last line is machine-readable:
 * BENCH {"name":"code_interpreter_added_p50_ms",...}.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getQuickJS } from "quickjs-emscripten";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "../src/llm/chat-model.js";
import { createServices } from "../src/composition/services.js";

const RUNS = Number(process.argv[2] ?? 100);
const WARMUP = 20;
const CODE = "const xs = [3, 1, 4, 1, 5, 9, 2, 6];\nconsole.log('sum', xs.reduce((a, b) => a + b, 0));\nMath.max(...xs)";
const EXPECTED_LOGS = "sum 31\n=> 9";
const WITH_TOOL = "[with tool] what is the sum and the largest value?";
const NO_TOOL = "[no tool] what is the sum and the largest value?";
const HEADLINE = "stream, new thread per run, back to back";

/** Answers instantly: a code_interpreter call for "with tool" threads that have no tool result yet, else text. */
class ToolThenTextModel implements ChatModel {
  async *chat(req: ChatRequest): AsyncGenerator<ChatChunk> {
    const wantsTool = req.messages.some((m) => m.role === "user" && m.content === WITH_TOOL);
    const hasResult = req.messages.some((m) => m.role === "tool");
    if (wantsTool && !hasResult) {
      yield { type: "tool_call", call: { name: "code_interpreter", arguments: { code: CODE } } };
      yield { type: "done", done_reason: "stop", prompt_tokens: 40, completion_tokens: 30 };
      return;
    }
    for (const text of ["The", " sum", " is", " 31", "."]) yield { type: "text", text };
    yield { type: "done", done_reason: "stop", prompt_tokens: 40, completion_tokens: 5 };
  }

  async details(): Promise<ModelDetails> {
    return { context_length: 8192, capabilities: ["completion", "tools"], family: null };
  }
}

interface Stats {
  p50: number;
  p95: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { p50: at(50), p95: at(95), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const ms = (n: number): string => `${n.toFixed(3)} ms`;
const idle = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

/** The bare eval: a fresh context of the shared QuickJS module, console.log bound, CODE evaluated. */
async function bareEval(): Promise<number[]> {
  const quickjs = await getQuickJS();
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const start = performance.now();
    const vm = quickjs.newContext();
    const logs: string[] = [];
    const log = vm.newFunction("log", (...args) => void logs.push(args.map((a) => String(vm.dump(a))).join(" ")));
    const consoleObject = vm.newObject();
    vm.setProp(consoleObject, "log", log);
    vm.setProp(vm.global, "console", consoleObject);
    log.dispose();
    consoleObject.dispose();
    const value = vm.unwrapResult(vm.evalCode(CODE));
    const result = vm.dump(value);
    value.dispose();
    vm.dispose();
    const elapsed = performance.now() - start;
    if (`${logs.join("\n")}\n=> ${result}` !== EXPECTED_LOGS) throw new Error(`bare eval gave ${logs.join("|")} ${result}`);
    if (i >= WARMUP) times.push(elapsed);
  }
  return times;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-ci-"));
  const config = loadConfig({ OLLAMA_HOST: "http://127.0.0.1:9", DATA_DIR: dataDir });
  const services = await createServices(config, { chat: new ToolThenTextModel(), embedder: null });
  const app = createApp(services);
  const request = (pathname: string, body?: unknown) =>
    app.request(`http://bench.local/v1${pathname}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const call = async (pathname: string, body?: unknown): Promise<any> => {
    const res = await request(pathname, body);
    if (!res.ok) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  const assistant = await call("/assistants", { model: "gpt-4o", instructions: "You are a benchmark.", tools: [{ type: "code_interpreter" }] });
  const newThread = async (content: string): Promise<string> => (await call("/threads", { messages: [{ role: "user", content }] })).id;

  /** create → completed; then checks the tool really ran (or did not). */
  const timeRun = async (threadId: string, withTool: boolean, stream: boolean): Promise<number> => {
    const start = performance.now();
    let run: { id: string; status: string };
    if (stream) {
      const text = await (await request(`/threads/${threadId}/runs`, { assistant_id: assistant.id, stream: true })).text();
      const completed = text.split("\n\n").find((block) => block.startsWith("event: thread.run.completed\n"));
      if (!completed) throw new Error(`the stream ended without run.completed: ${text.slice(-300)}`);
      run = JSON.parse(completed.slice(completed.indexOf("data: ") + 6));
    } else {
      run = await call(`/threads/${threadId}/runs`, { assistant_id: assistant.id });
      while (run.status !== "completed") {
        if (["failed", "cancelled", "expired", "incomplete", "requires_action"].includes(run.status)) throw new Error(`run ended ${run.status}`);
        await new Promise((resolve) => setImmediate(resolve));
        run = await call(`/threads/${threadId}/runs/${run.id}`);
      }
    }
    const elapsed = performance.now() - start;
    const steps = services.repos.steps.all({ run_id: run.id });
    const details = steps[0]?.step_details;
    const logs = details?.type === "tool_calls" && details.tool_calls[0]?.type === "code_interpreter" ? details.tool_calls[0].code_interpreter.outputs[0] : undefined;
    if (withTool ? logs?.type !== "logs" || logs.logs !== EXPECTED_LOGS : steps.length !== 1) {
      throw new Error(`unexpected steps: ${JSON.stringify(steps.map((s) => s.step_details))}`);
    }
    return elapsed;
  };

  /**
   * RUNS runs with the tool and RUNS without, interleaved, after WARMUP of each. `threadFor` gives the thread of
   * the i-th run (made, or given its next user message, before the clock starts); `pauseMs` of untimed idle
   * follows each pair.
   */
  const scenario = async (stream: boolean, threadFor: (withTool: boolean, i: number) => Promise<string>, pauseMs = 0) => {
    const out = { withTool: [] as number[], withoutTool: [] as number[] };
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const a = await timeRun(await threadFor(true, i), true, stream);
      const b = await timeRun(await threadFor(false, i), false, stream);
      if (i >= WARMUP) {
        out.withTool.push(a);
        out.withoutTool.push(b);
      }
      if (pauseMs > 0) await idle(pauseMs);
    }
    return out;
  };
  const freshThread = (withTool: boolean) => newThread(withTool ? WITH_TOOL : NO_TOOL);
  const sameThread = async () => {
    const ids = { with: await newThread(WITH_TOOL), without: await newThread(NO_TOOL) };
    return async (withTool: boolean, i: number) => {
      const id = withTool ? ids.with : ids.without;
      if (i > 0) await call(`/threads/${id}/messages`, { role: "user", content: withTool ? WITH_TOOL : NO_TOOL });
      return id;
    };
  };

  const results: Array<[string, { withTool: number[]; withoutTool: number[] }]> = [];
  for (const stream of [true, false]) {
    const mode = stream ? "stream" : "poll";
    results.push([`${mode}, new thread per run, back to back`, await scenario(stream, freshThread)]);
    results.push([`${mode}, new thread per run, 50 ms idle between`, await scenario(stream, freshThread, 50)]);
    results.push([`${mode}, same thread (session reused)`, await scenario(stream, await sameThread())]);
  }
  await services.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const q = stats(await bareEval());

  const rows: [string, Stats][] = [["bare QuickJS eval (fresh context)", q]];
  const added = new Map<string, number>();
  for (const [label, r] of results) {
    const w = stats(r.withTool);
    const n = stats(r.withoutTool);
    rows.push([`${label}: no tool call`, n], [`${label}: one code_interpreter call`, w]);
    added.set(label, w.p50 - n.p50 - q.p50);
  }
  console.log(`\ncode_interpreter in a run, zero-latency model, ${RUNS} runs of each kind, SANDBOX_WORKERS=${config.sandbox.workers} (Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)})\n`);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${"create → completed".padEnd(width)}  ${"p50".padStart(10)}  ${"p95".padStart(10)}  ${"mean".padStart(10)}`);
  for (const [name, s] of rows) console.log(`${name.padEnd(width)}  ${ms(s.p50).padStart(10)}  ${ms(s.p95).padStart(10)}  ${ms(s.mean).padStart(10)}`);
  console.log("\nadded p50 = p50(with tool) − p50(without) − p50(bare eval):");
  for (const [label, value] of added) console.log(`  ${label.padEnd(48)} ${ms(value).padStart(10)}   ${value <= 5 ? "≤ 5 ms: met" : "> 5 ms: NOT met"}`);
  const headline = added.get(HEADLINE)!;
  console.log(`BENCH ${JSON.stringify({ name: "code_interpreter_added_p50_ms", value: Number(headline.toFixed(3)), unit: "ms", baseline: Number(q.p50.toFixed(3)), goal: "<= 5" })}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
