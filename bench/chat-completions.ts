/**
 * What POST /v1/chat/completions adds over the raw model stream, on a zero-latency model in the same process:
 *   1. a whole completion through `app.request` (validation, model resolution, the turn, the JSON answer) minus
 *      draining the model's stream directly (a bare chat() call);
 *   2. streamed: from the model's first chunk to the SDK's first content delta over a loopback socket.
 *
 *   npx tsx bench/chat-completions.ts [samples=200]
 *
 * Goal (issue: models, chat completions, embeddings): added latency <= 1 ms p50.
 */
import OpenAI from "openai";
import type { ChatRequest } from "../src/llm/chat-model.js";
import { listen } from "../test/helpers/test-app.js";
import { benchLine } from "./bench-report.js";
import { benchApp, ms, printTable, samples, summary, timeBareChat, ZeroLatencyModel, type BenchApp } from "./zero-latency-model.js";

const SAMPLES = Number(process.argv[2] ?? 200);
const WARMUP = 30;
const GOAL_MS = 1;

const firstChunkAt = new Map<string, number>();
const model = new ZeroLatencyModel((req: ChatRequest) => firstChunkAt.set(req.messages.at(-1)?.content ?? "", performance.now()), true);

async function timeCompletion(b: BenchApp, question: string): Promise<number> {
  const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "system", content: "You are a benchmark." }, { role: "user", content: question }] });
  const start = performance.now();
  const res = await b.app.request("http://bench.local/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body });
  const completion = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
  if (!res.ok || completion.choices?.[0]?.message.content !== "The answer is 42.") throw new Error(`completion failed: ${res.status} ${JSON.stringify(completion)}`);
  return performance.now() - start;
}

async function firstDelta(client: OpenAI, question: string): Promise<number> {
  let first = 0;
  const stream = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: question }], stream: true });
  for await (const chunk of stream) if (first === 0 && chunk.choices[0]?.delta.content) first = performance.now();
  return first - firstChunkAt.get(question)!;
}

async function main(): Promise<void> {
  const b = await benchApp(model);
  const bareRequest: ChatRequest = { model: "llama3.2:3b", messages: [{ role: "user", content: "bare" }] };
  await samples(WARMUP, (i) => timeCompletion(b, `warm ${i}`));
  // Interleaved, so a slow stretch of the machine costs both alike.
  const bare: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    bare.push(await timeBareChat(model, bareRequest));
    whole.push(await timeCompletion(b, `q ${i}`));
  }
  const server = await listen(b.app);
  const client = new OpenAI({ baseURL: server.baseURL, apiKey: "bench", maxRetries: 0 });
  await samples(WARMUP, (i) => firstDelta(client, `warm stream ${i}`));
  const streamed = await samples(SAMPLES, (i) => firstDelta(client, `stream ${i}`));
  await server.close();
  await b.close();

  const bareP50 = summary(bare).p50;
  const added = summary(whole).p50 - bareP50;
  const firstAdded = summary(streamed).p50;
  console.log(`\nChat completions over a zero-latency model, ${SAMPLES} samples (Node ${process.version})\n`);
  printTable(
    ["measure", "p50", "p95"],
    [
      ["bare chat() (the model stream alone)", ms(bareP50), ms(summary(bare).p95)],
      ["completion in-process (app.request)", ms(summary(whole).p50), ms(summary(whole).p95)],
      ["  added over the bare stream", ms(added), ""],
      ["first delta added (SDK, loopback socket)", ms(firstAdded), ms(summary(streamed).p95)],
    ],
  );
  benchLine({ name: "chat_completion_added_p50", value: Number(added.toFixed(3)), unit: "ms", baseline: Number(bareP50.toFixed(3)), baseline_name: "bare model stream p50, same run", goal: `<= ${GOAL_MS} ms added`, met: added <= GOAL_MS });
  benchLine({ name: "chat_stream_first_delta_added_p50", value: Number(firstAdded.toFixed(3)), unit: "ms", baseline: 0, baseline_name: "the model's first chunk", goal: `<= ${GOAL_MS} ms added`, met: firstAdded <= GOAL_MS });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
