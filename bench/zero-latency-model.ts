/**
 * Shared by the run benchmarks: a ChatModel that answers instantly (so what is measured is the server's own
 * overhead), an app over it with a temp DATA_DIR, and small statistics helpers.
 */
import type { Env } from "../src/config.js";
import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "../src/llm/chat-model.js";
import { openBenchApp, quantile, type BenchApp } from "./bench-app.js";

export type { BenchApp } from "./bench-app.js";

/** A short reply, split like model tokens. */
export const REPLY = ["The", " answer", " is", " 42", "."];

/**
 * How long the first-token benchmarks' model takes to its first chunk. A model answering in no time put the
 * server's own start of the request (answering the POST, writing the run's first events, still in the event
 * loop's queue) between its first chunk and that chunk's delta, and counted it as latency added to the first
 * token; no real model answers before those are done (Ollama evaluates the prompt first: milliseconds at least).
 * Two milliseconds: the request's start is over by then (bench/stream-first-token.ts prints both).
 */
export const FIRST_TOKEN_AFTER_MS = 2;

/**
 * Yields REPLY with no delay. `onFirstChunk` is called just before the first chunk is handed over, with the
 * request, so a benchmark can time from that moment. `turnBetweenChunks` gives the event loop one turn
 * between chunks, as chunks arriving from a socket would (else the whole reply is consumed in one go).
 * `firstChunkAfterMs`: a wait (a timer) before the first chunk, as a model's time to its first token.
 */
export class ZeroLatencyModel implements ChatModel {
  constructor(
    private readonly onFirstChunk: (req: ChatRequest) => void = () => undefined,
    private readonly turnBetweenChunks = false,
    private readonly firstChunkAfterMs = 0,
  ) {}

  async *chat(req: ChatRequest): AsyncGenerator<ChatChunk> {
    if (this.firstChunkAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, this.firstChunkAfterMs));
    this.onFirstChunk(req);
    for (const [i, text] of REPLY.entries()) {
      if (i > 0 && this.turnBetweenChunks) await new Promise((resolve) => setImmediate(resolve));
      yield { type: "text", text };
    }
    yield { type: "done", done_reason: "stop", prompt_tokens: 20, completion_tokens: REPLY.length };
  }

  async details(): Promise<ModelDetails> {
    return { context_length: 8192, capabilities: ["completion", "tools"], family: null };
  }
}

/**
 * Runs (or responses) before the measured ones, counting the warm-up and the cold sample. The goal is a
 * long-running server's overhead, and V8 goes on compiling the run path for the first ~1,500 runs: p50 per block of 250 runs from
 * start, 0.82, 0.68–0.71, 0.59–0.64, 0.52–0.59, 0.48–0.52, then 0.41–0.49 ms (BENCHMARKS.md, "Run overhead:
 * measured warm"). The first runs are still measured and printed, as the cold figure, without a goal.
 */
export const STEADY_AFTER = 2000;
/** The real app and services (file-backed SQLite in a temp DATA_DIR) over `chat`; no Ollama anywhere. */
export function benchApp(chat: ChatModel, env: Env = {}): Promise<BenchApp> {
  return openBenchApp(env, { chat, embedder: null });
}

/** Drains a model stream, as the executor would, and returns how long it took in ms. */
export async function timeBareChat(chat: ChatModel, req: ChatRequest): Promise<number> {
  const start = performance.now();
  for await (const _chunk of chat.chat(req)) {
    // consume
  }
  return performance.now() - start;
}

/** `n` timings of `f`, one after another (each sample alone on the machine). */
export async function samples(n: number, f: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return out;
}

/** Nearest-rank percentile (p in 0..100) of already sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : quantile(sorted, p / 100);
}

export function summary(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean };
}

export const ms = (n: number): string => `${n.toFixed(3)} ms`;

/** Prints rows as an aligned table. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}
