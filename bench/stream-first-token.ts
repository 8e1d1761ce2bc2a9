/**
 * Streaming first-token latency added by the server: from the moment the model hands over its first chunk
 * to the moment a client over a real loopback socket receives the first `thread.message.delta`.
 *
 *   npx tsx bench/stream-first-token.ts [runs=100]
 *
 * The model answers at once (one event-loop turn between chunks) and notes when it yields its first chunk. Clients: the openai SDK's
 * AssistantStream (what applications use) and a raw fetch reader parsing SSE lines. Printed beside the raw
 * model stream measured in the same process (chat() call → first chunk in a direct consumer).
 * Goal (#22): ≤ 0.3 ms p50 added first-token latency.
 */
import OpenAI from "openai";
import type { ChatRequest } from "../src/llm/chat-model.js";
import { listen } from "../test/helpers/test-app.js";
import { benchApp, FIRST_TOKEN_AFTER_MS, ms, printTable, summary, ZeroLatencyModel } from "./zero-latency-model.js";
import { benchLine } from "./bench-report.js";

const RUNS = Number(process.argv[2] ?? 100);
const WARMUP = 20;

/** First-chunk times by the text of the prompt's last message (unique per thread). */
const firstChunkAt = new Map<string, number>();
const noteFirstChunk = (req: ChatRequest) => firstChunkAt.set(lastText(req), performance.now());
// One event-loop turn between chunks, as from a socket: the first delta must not wait for the whole reply.
const model = new ZeroLatencyModel(noteFirstChunk, true, FIRST_TOKEN_AFTER_MS);
const atOnce = new ZeroLatencyModel(noteFirstChunk, true);

function lastText(req: ChatRequest): string {
  return req.messages.at(-1)?.content ?? "";
}

interface Sample {
  added: number;
  total: number;
}

/** One streamed run through the SDK; resolves when the run is over. */
async function sdkSample(client: OpenAI, assistantId: string, question: string): Promise<Sample> {
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: question }] });
  const start = performance.now();
  let firstDelta = 0;
  const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
  stream.once("textDelta", () => (firstDelta = performance.now()));
  await stream.finalRun();
  return { added: firstDelta - firstChunkAt.get(question)!, total: firstDelta - start };
}

/** One streamed run read with fetch, stopping the clock at the first `event: thread.message.delta` line. */
async function rawSample(baseURL: string, client: OpenAI, assistantId: string, question: string): Promise<Sample> {
  const thread = await client.beta.threads.create({ messages: [{ role: "user", content: question }] });
  const start = performance.now();
  const res = await fetch(`${baseURL}/threads/${thread.id}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ assistant_id: assistantId, stream: true }),
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let firstDelta = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    if (firstDelta === 0 && text.includes("event: thread.message.delta\n")) firstDelta = performance.now();
  }
  return { added: firstDelta - firstChunkAt.get(question)!, total: firstDelta - start };
}

/** First chunk handed over → a direct consumer has it (no server in between). */
async function rawModelFirstChunk(question: string): Promise<number> {
  for await (const _chunk of model.chat({ model: "llama3.2:3b", messages: [{ role: "user", content: question }] })) {
    return performance.now() - firstChunkAt.get(question)!;
  }
  return Number.NaN;
}

/** SDK and raw-fetch samples of a server over `chat`, on a loopback socket. */
async function measure(chat: ZeroLatencyModel, tag: string): Promise<{ sdk: Sample[]; raw: Sample[] }> {
  const b = await benchApp(chat);
  const server = await listen(b.app);
  try {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "bench", maxRetries: 0 });
    const assistant = await client.beta.assistants.create({ model: "gpt-4o", instructions: "You are a benchmark." });
    for (let i = 0; i < WARMUP; i++) await sdkSample(client, assistant.id, `warm-up sdk ${tag} ${i}`);
    for (let i = 0; i < WARMUP; i++) await rawSample(server.baseURL, client, assistant.id, `warm-up raw ${tag} ${i}`);
    const sdk: Sample[] = [];
    for (let i = 0; i < RUNS; i++) sdk.push(await sdkSample(client, assistant.id, `sdk question ${tag} ${i}`));
    const raw: Sample[] = [];
    for (let i = 0; i < RUNS; i++) raw.push(await rawSample(server.baseURL, client, assistant.id, `raw question ${tag} ${i}`));
    return { sdk, raw };
  } finally {
    await server.close();
    await b.close();
  }
}

async function main(): Promise<void> {
  const { sdk, raw } = await measure(model, "waited");
  const immediate = await measure(atOnce, "at once");
  const bare: number[] = [];
  for (let i = 0; i < WARMUP; i++) await rawModelFirstChunk(`warm-up model ${i}`);
  for (let i = 0; i < RUNS; i++) bare.push(await rawModelFirstChunk(`model question ${i}`));

  const row = (name: string, samples: number[]) => {
    const s = summary(samples);
    return [name, ms(s.p50), ms(s.p95), ms(s.mean)];
  };
  console.log(`\nstreaming first token, model's first chunk after ${FIRST_TOKEN_AFTER_MS} ms, ${RUNS} runs each, loopback socket (Node ${process.version})\n`);
  printTable(
    ["measure", "p50", "p95", "mean"],
    [
      row("raw model stream: first chunk → a direct consumer", bare),
      row("SDK: model first chunk → first message.delta", sdk.map((s) => s.added)),
      row("raw fetch: model first chunk → first message.delta", raw.map((s) => s.added)),
      row("SDK: request → first message.delta", sdk.map((s) => s.total)),
      row("raw fetch: request → first message.delta", raw.map((s) => s.total)),
      row("model answering at once, SDK: model first chunk → first message.delta", immediate.sdk.map((s) => s.added)),
      row("model answering at once, raw fetch: the same", immediate.raw.map((s) => s.added)),
    ],
  );
  const bareP50 = summary(bare).p50;
  const addedP50 = summary(sdk.map((s) => s.added)).p50 - bareP50;
  const atOnceP50 = summary(immediate.sdk.map((s) => s.added)).p50 - bareP50;
  console.log("");
  printTable(
    ["goal", "measured", "target", "met"],
    [["p50 added first-token latency (SDK client)", ms(addedP50), "≤ 0.3 ms", addedP50 <= 0.3 ? "yes" : "NO"]],
  );
  benchLine({ name: "stream_first_token_added_p50", value: Number(addedP50.toFixed(3)), unit: "ms", baseline: Number(bareP50.toFixed(3)), baseline_name: "raw model stream, first chunk", goal: "<= 0.3", met: addedP50 <= 0.3 }); // #22
  benchLine({ name: "stream_first_token_added_p50_model_at_once", value: Number(atOnceP50.toFixed(3)), unit: "ms", baseline: Number(bareP50.toFixed(3)), baseline_name: "raw model stream, first chunk", goal: null });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
