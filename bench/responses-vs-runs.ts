/**
 * The Responses API beside the Assistants API on the same engine parts, measured in the same process:
 *   1. overhead over a zero-latency model: POST /v1/responses (answers when done) against create run + poll
 *      until completed (one event-loop turn between polls), both in-process through `app.request`, each minus
 *      a bare chat() call: first cold (after WARMUP of each), then warm, after STEADY_AFTER of each, as
 *      bench/run-overhead.ts measures runs (the goal's figure: a long-running server's overhead);
 *   2. first-token latency added by the server over a loopback socket with the openai SDK: responses.stream's
 *      first `response.output_text.delta` against runs.stream's first `textDelta`, from the model's first chunk,
 *      interleaved: with the model's first chunk after FIRST_TOKEN_AFTER_MS (the goal's figure, as in
 *      bench/stream-first-token.ts: a model answering in no time puts the request's own start, its created and
 *      in_progress events, between its first chunk and that chunk's delta), and with a model answering at once.
 *
 *   npx tsx bench/responses-vs-runs.ts [samples=100]
 *
 * Goals: response overhead ≤ 0.5 ms p50 (#22); first-token added no worse than the same figure for runs.
 */
import OpenAI from "openai";
import type { ChatRequest } from "../src/llm/chat-model.js";
import { listen } from "../test/helpers/test-app.js";
import { benchLine } from "./bench-report.js";
import { benchApp, FIRST_TOKEN_AFTER_MS, ms, printTable, samples, STEADY_AFTER, summary, timeBareChat, ZeroLatencyModel, type BenchApp } from "./zero-latency-model.js";

const SAMPLES = Number(process.argv[2] ?? 100);
const WARMUP = 20;

const firstChunkAt = new Map<string, number>();
const noteFirstChunk = (req: ChatRequest) => firstChunkAt.set(req.messages.at(-1)?.content ?? "", performance.now());
const model = new ZeroLatencyModel(noteFirstChunk, true);
const waitedModel = new ZeroLatencyModel(noteFirstChunk, true, FIRST_TOKEN_AFTER_MS);

async function call(b: BenchApp, path: string, body?: unknown): Promise<{ id: string; status: string }> {
  const init = body === undefined ? undefined : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const res = await b.app.request(`http://bench.local/v1${path}`, init);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status: string };
}

async function timeRun(b: BenchApp, assistantId: string, question: string): Promise<number> {
  const thread = await call(b, "/threads", { messages: [{ role: "user", content: question }] });
  const start = performance.now();
  let run = await call(b, `/threads/${thread.id}/runs`, { assistant_id: assistantId });
  while (run.status !== "completed") {
    if (["failed", "cancelled", "expired", "incomplete"].includes(run.status)) throw new Error(`run ended ${run.status}`);
    await new Promise((resolve) => setImmediate(resolve));
    run = await call(b, `/threads/${thread.id}/runs/${run.id}`);
  }
  return performance.now() - start;
}

async function timeResponse(b: BenchApp, question: string): Promise<number> {
  const start = performance.now();
  const response = await call(b, "/responses", { model: "gpt-4o", instructions: "You are a benchmark.", input: question });
  if (response.status !== "completed") throw new Error(`response ended ${response.status}`);
  return performance.now() - start;
}

async function runFirstToken(client: OpenAI, assistantId: string, question: string): Promise<number> {
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: question }] });
  let first = 0;
  const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
  stream.once("textDelta", () => (first = performance.now()));
  await stream.finalRun();
  return first - firstChunkAt.get(question)!;
}

async function responseFirstToken(client: OpenAI, question: string): Promise<number> {
  let first = 0;
  const stream = client.responses.stream({ model: "gpt-4o", instructions: "You are a benchmark.", input: question });
  stream.once("response.output_text.delta", () => (first = performance.now()));
  await stream.finalResponse();
  return first - firstChunkAt.get(question)!;
}

async function main(): Promise<void> {
  const b = await benchApp(model);
  const assistant = await call(b, "/assistants", { model: "gpt-4o", instructions: "You are a benchmark." });
  const bareRequest: ChatRequest = { model: "llama3.2:3b", messages: [{ role: "user", content: "bare" }] };
  await samples(WARMUP, (i) => timeRun(b, assistant.id, `warm run ${i}`));
  await samples(WARMUP, (i) => timeResponse(b, `warm response ${i}`));
  const bare = summary(await samples(SAMPLES, () => timeBareChat(model, bareRequest))).p50;
  // Interleaved, so a slow stretch of the machine costs both alike.
  const interleaved = async (tag: string) => {
    const runs: number[] = [];
    const responses: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      runs.push(await timeRun(b, assistant.id, `${tag} run ${i}`));
      responses.push(await timeResponse(b, `${tag} response ${i}`));
    }
    return { runs, responses };
  };
  const cold = await interleaved("cold");
  for (let i = WARMUP + SAMPLES; i < STEADY_AFTER; i++) {
    await timeRun(b, assistant.id, `steady run ${i}`);
    await timeResponse(b, `steady response ${i}`);
  }
  const { runs, responses } = await interleaved("warm");

  const atOnce = await firstTokens(b, assistant.id, "at once");
  await b.close();
  const w = await benchApp(waitedModel);
  const waited = await firstTokens(w, (await call(w, "/assistants", { model: "gpt-4o", instructions: "You are a benchmark." })).id, "waited");
  await w.close();

  const runOverhead = summary(runs).p50 - bare;
  const responseOverhead = summary(responses).p50 - bare;
  const coldRunOverhead = summary(cold.runs).p50 - bare;
  const coldResponseOverhead = summary(cold.responses).p50 - bare;
  const runFirst = summary(waited.runs).p50;
  const responseFirst = summary(waited.responses).p50;
  console.log(`\nResponses beside runs, zero-latency model, ${SAMPLES} samples each, interleaved (Node ${process.version})\n`);
  printTable(
    ["measure", "runs p50", "responses p50"],
    [
      [`overhead over a bare chat() (in-process), after ${WARMUP} of each (cold)`, ms(coldRunOverhead), ms(coldResponseOverhead)],
      [`overhead over a bare chat() (in-process), after ${STEADY_AFTER} of each`, ms(runOverhead), ms(responseOverhead)],
      [`first token added (SDK, loopback socket), model's first chunk after ${FIRST_TOKEN_AFTER_MS} ms`, ms(runFirst), ms(responseFirst)],
      ["first token added (SDK, loopback socket), model answering at once", ms(summary(atOnce.runs).p50), ms(summary(atOnce.responses).p50)],
    ],
  );
  benchLine({ name: "response_overhead_p50", value: Number(responseOverhead.toFixed(3)), unit: "ms", baseline: Number(runOverhead.toFixed(3)), baseline_name: "run overhead p50, same process", goal: "<= 0.5", met: responseOverhead <= 0.5 }); // #22
  benchLine({ name: "response_overhead_cold_p50", value: Number(coldResponseOverhead.toFixed(3)), unit: "ms", baseline: Number(coldRunOverhead.toFixed(3)), baseline_name: "run overhead p50 (cold), same process", goal: null });
  benchLine({ name: "response_first_token_added_p50", value: Number(responseFirst.toFixed(3)), unit: "ms", baseline: Number(runFirst.toFixed(3)), baseline_name: "run first token added p50, same process", goal: "<= baseline", met: responseFirst <= runFirst });
  benchLine({ name: "response_first_token_added_p50_model_at_once", value: Number(summary(atOnce.responses).p50.toFixed(3)), unit: "ms", baseline: Number(summary(atOnce.runs).p50.toFixed(3)), baseline_name: "run first token added p50, model at once, same process", goal: null });
}

/** First-token samples of runs and responses streamed over a loopback socket, interleaved. */
async function firstTokens(b: BenchApp, assistantId: string, tag: string): Promise<{ runs: number[]; responses: number[] }> {
  const server = await listen(b.app);
  try {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "bench", maxRetries: 0 });
    await samples(WARMUP, (i) => runFirstToken(client, assistantId, `warm stream run ${tag} ${i}`));
    await samples(WARMUP, (i) => responseFirstToken(client, `warm stream response ${tag} ${i}`));
    const runs: number[] = [];
    const responses: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      runs.push(await runFirstToken(client, assistantId, `stream run ${tag} ${i}`));
      responses.push(await responseFirstToken(client, `stream response ${tag} ${i}`));
    }
    return { runs, responses };
  } finally {
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
