/**
 * A long reply: what the server costs per streamed chunk once the reply is large. A model that answers
 * instantly streams CHUNKS pieces of 8 characters (a 320 KB reply at the default 40,000), yielding to the
 * event loop every 64 pieces as a socket would deliver them; the run and the response are timed end to end
 * (create → completed) beside draining the same stream bare, in the same process.
 *
 *   npx tsx bench/long-reply.ts [chunks=40000]
 *
 * Per-chunk work must stay constant as the reply grows: a reply handled as "the text so far" and sliced at
 * each chunk is quadratic (this took 22 s for 40,000 chunks through a run before the model turn passed
 * deltas). Goal: the run and the response each within 10x the bare stream.
 */
import type { ChatChunk, ChatModel, ModelDetails } from "../src/llm/chat-model.js";
import { benchApp } from "./zero-latency-model.js";
import { benchLine, round } from "./bench-report.js";

const CHUNKS = Number(process.argv[2] ?? 40_000);

class LongReplyModel implements ChatModel {
  async *chat(): AsyncGenerator<ChatChunk> {
    for (let i = 0; i < CHUNKS; i++) {
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
      yield { type: "text", text: `${String(i % 100000).padStart(5, "0")}xyz` };
    }
    yield { type: "done", done_reason: "stop", prompt_tokens: 20, completion_tokens: CHUNKS };
  }

  async details(): Promise<ModelDetails> {
    return { context_length: 8192, capabilities: ["completion"], family: null };
  }
}

async function timeBare(model: ChatModel): Promise<number> {
  const start = performance.now();
  let text = "";
  for await (const chunk of model.chat({ model: "m", messages: [] })) if (chunk.type === "text") text += chunk.text;
  if (text.length !== CHUNKS * 8) throw new Error("short reply");
  return performance.now() - start;
}

async function main(): Promise<void> {
  const model = new LongReplyModel();
  const b = await benchApp(model);
  try {
    const assistant = await b.client.beta.assistants.create({ model: "gpt-4o" });
    const timeRun = async () => {
      const thread = await b.client.beta.threads.create({ messages: [{ role: "user", content: "Write at length." }] });
      const start = performance.now();
      const run = await b.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
      const took = performance.now() - start;
      if (run.status !== "completed") throw new Error(`run ended ${run.status}`);
      return took;
    };
    const timeResponse = async () => {
      const start = performance.now();
      const response = await b.client.responses.create({ model: "gpt-4o", input: "Write at length." });
      const took = performance.now() - start;
      if (response.status !== "completed" || response.output_text.length !== CHUNKS * 8) throw new Error(`response ended ${response.status}`);
      return took;
    };
    await timeBare(model);
    await timeRun(); // warm-up
    const best = async (f: () => Promise<number>) => Math.min(await f(), await f(), await f());
    const bare = await best(() => timeBare(model));
    const run = await best(timeRun);
    const response = await best(timeResponse);

    console.log(`long reply: ${CHUNKS} chunks of 8 characters, best of 3 (Node ${process.version})\n`);
    console.log(`bare model stream  ${bare.toFixed(1)} ms`);
    console.log(`run                ${run.toFixed(1)} ms  (${(run / bare).toFixed(1)}x bare)`);
    console.log(`response           ${response.toFixed(1)} ms  (${(response / bare).toFixed(1)}x bare)`);
    const baseline = { baseline: round(bare), baseline_name: "bare model stream, same chunks" };
    benchLine({ name: "long_reply_run_ms", value: round(run), unit: "ms", ...baseline, goal: "<= 10x baseline", met: run <= 10 * bare });
    benchLine({ name: "long_reply_response_ms", value: round(response), unit: "ms", ...baseline, goal: "<= 10x baseline", met: response <= 10 * bare });
  } finally {
    await b.close();
  }
}

await main();
