import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelError, type ChatChunk, type ChatRequest } from "../../src/llm/chat-model.js";
import { OllamaChatModel } from "../../src/llm/ollama-chat.js";
import { isAbortError } from "../../src/llm/ollama-errors.js";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";

let fake: OllamaFake;
let model: OllamaChatModel;

beforeEach(async () => {
  fake = await startOllamaFake({
    models: ["llama3.2", { name: "old-model", capabilities: null }],
    contextLength: 8192,
  });
  model = new OllamaChatModel({ host: fake.url, timeoutMs: 2000 });
});
afterEach(() => fake.close());

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: "llama3.2",
  messages: [{ role: "user", content }],
  ...extra,
});

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

/** Runs the stream to its end and returns what it threw, plus what it yielded before. */
async function failure(stream: AsyncIterable<ChatChunk>): Promise<{ err: any; chunks: ChatChunk[] }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (err) {
    return { err, chunks };
  }
  throw new Error(`expected the stream to fail, got ${JSON.stringify(chunks)}`);
}

const textOf = (chunks: ChatChunk[]) => chunks.map((c) => (c.type === "text" ? c.text : "")).join("");

describe("OllamaChatModel.chat", () => {
  it("yields each chunk as it arrives, then one done chunk", async () => {
    fake.script({ chunks: ["Hel", "lo", " world"], delayMs: 60 });
    const sentAtFirstChunk: number[] = [];
    const chunks: ChatChunk[] = [];
    for await (const chunk of model.chat(ask("hi"))) {
      if (chunks.length === 0) sentAtFirstChunk.push(fake.chunksSent);
      chunks.push(chunk);
    }
    expect(sentAtFirstChunk[0]).toBeLessThan(3);
    expect(chunks.filter((c) => c.type === "text")).toHaveLength(3);
    expect(textOf(chunks)).toBe("Hello world");
    expect(chunks.at(-1)).toMatchObject({ type: "done", done_reason: "stop" });
    expect(chunks.filter((c) => c.type === "done")).toHaveLength(1);
  });

  it("echoes the last user message when nothing is scripted", async () => {
    expect(textOf(await collect(model.chat(ask("ping pong"))))).toBe("ping pong");
  });

  it("yields one tool_call chunk per call, arguments as objects", async () => {
    fake.script({
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris", days: 2 } },
        { name: "lookup", arguments: { q: "x" } },
      ],
    });
    const chunks = await collect(model.chat(ask("weather?")));
    expect(chunks).toEqual([
      { type: "tool_call", call: { name: "get_weather", arguments: { city: "Paris", days: 2 } } },
      { type: "tool_call", call: { name: "lookup", arguments: { q: "x" } } },
      { type: "done", done_reason: "stop", prompt_tokens: 1, completion_tokens: 2 },
    ]);
  });

  it("reports usage counts and done_reason length", async () => {
    fake.script({ text: "cut", promptTokens: 42, evalTokens: 7, doneReason: "length" });
    const chunks = await collect(model.chat(ask("long story")));
    expect(chunks.at(-1)).toEqual({ type: "done", done_reason: "length", prompt_tokens: 42, completion_tokens: 7 });
  });

  it("sends Ollama's wire form: tools, format, options, tool calls and tool results", async () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    await collect(
      model.chat({
        model: "llama3.2",
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "weather in Paris?" },
          { role: "assistant", content: "", tool_calls: [{ name: "get_weather", arguments: { city: "Paris" } }] },
          { role: "tool", content: '{"temp":21}', tool_name: "get_weather" },
        ],
        tools: [{ name: "get_weather", description: "Weather now", parameters: schema }],
        format: schema,
        options: { num_ctx: 8192, num_predict: 256, temperature: 0.2 },
      }),
    );
    expect(fake.chatRequests).toHaveLength(1);
    const sent = fake.chatRequests[0]!;
    expect(sent.stream).toBe(true);
    expect(sent.tools).toEqual([
      { type: "function", function: { name: "get_weather", description: "Weather now", parameters: schema } },
    ]);
    expect(sent.format).toEqual(schema);
    expect(sent.options).toEqual({ num_ctx: 8192, num_predict: 256, temperature: 0.2 });
    expect(sent.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }],
      },
      { role: "tool", content: '{"temp":21}', tool_name: "get_weather" },
    ]);
  });

  it("leaves out tools, format and options when absent", async () => {
    await collect(model.chat(ask("plain")));
    expect(Object.keys(fake.chatRequests[0]!).sort()).toEqual(["messages", "model", "stream"]);
  });
});

describe("OllamaChatModel.chat failures", () => {
  it("maps an unknown model to model_not_found with the pull hint", async () => {
    const { err } = await failure(model.chat(ask("hi", { model: "nope:7b" })));
    expect(err).toBeInstanceOf(ModelError);
    expect(err.kind).toBe("model_not_found");
    expect(err.code).toBe("invalid_prompt");
    expect(err.message).toBe("Model 'nope:7b' is not available in Ollama: run `ollama pull nope:7b`.");
  });

  it("maps other HTTP statuses to http with Ollama's text", async () => {
    fake.script({ httpStatus: 500, error: "llama runner process has terminated" });
    const { err } = await failure(model.chat(ask("hi")));
    expect(err.kind).toBe("http");
    expect(err.message).toContain("500");
    expect(err.message).toContain("llama runner process has terminated");
  });

  it("maps an error line mid-stream to stream, after yielding the text before it", async () => {
    fake.script({ chunks: ["partial", " answer"], errorLine: "out of memory" });
    const { err, chunks } = await failure(model.chat(ask("hi")));
    expect(textOf(chunks)).toBe("partial answer");
    expect(err).toBeInstanceOf(ModelError);
    expect(err.kind).toBe("stream");
    expect(err.message).toContain("out of memory");
  });

  it("maps a connection dropped mid-stream to stream", async () => {
    fake.script({ chunks: ["a", " b", " c"], destroyAfterChunks: 1 });
    const { err, chunks } = await failure(model.chat(ask("hi")));
    expect(textOf(chunks)).toBe("a");
    expect(err.kind).toBe("stream");
    expect(err.message).toMatch(/broke in the middle/);
  });

  it("maps a closed port to unreachable, naming the host", async () => {
    await fake.setDown(true);
    const { err } = await failure(model.chat(ask("hi")));
    expect(err.kind).toBe("unreachable");
    expect(err.message).toBe(
      `Ollama is not reachable at ${fake.url}: start it with \`ollama serve\` or set OLLAMA_HOST.`,
    );
    await fake.setDown(false);
    expect(textOf(await collect(model.chat(ask("back"))))).toBe("back");
  });

  it("times out when Ollama never answers, and aborts the request", async () => {
    fake.script({ hang: true });
    const quick = new OllamaChatModel({ host: fake.url, timeoutMs: 150 });
    const started = Date.now();
    const { err } = await failure(quick.chat(ask("hi")));
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(/sent nothing for 0.15s/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("times out when the stream stalls between chunks", async () => {
    fake.script({ chunks: ["first", " second"], stallAfterChunks: 1 });
    const quick = new OllamaChatModel({ host: fake.url, timeoutMs: 150 });
    const { err, chunks } = await failure(quick.chat(ask("hi")));
    expect(textOf(chunks)).toBe("first");
    expect(err.kind).toBe("timeout");
  });

  it("does not count a slow consumer against the timeout", async () => {
    fake.script({ chunks: ["a", " b", " c"] });
    const quick = new OllamaChatModel({ host: fake.url, timeoutMs: 100 });
    const chunks: ChatChunk[] = [];
    for await (const chunk of quick.chat(ask("hi"))) {
      chunks.push(chunk);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(textOf(chunks)).toBe("a b c");
  });
});

describe("OllamaChatModel.chat cancellation", () => {
  it("ends promptly with an AbortError (not a ModelError) when the signal fires mid-stream", async () => {
    fake.script({ chunks: Array.from({ length: 50 }, (_, i) => `w${i} `), delayMs: 40 });
    const controller = new AbortController();
    const chunks: ChatChunk[] = [];
    let abortedAt = 0;
    const { err } = await failure(
      (async function* () {
        for await (const chunk of model.chat(ask("hi"), controller.signal)) {
          chunks.push(chunk);
          yield chunk;
          if (chunks.length === 2) {
            abortedAt = Date.now();
            controller.abort();
          }
        }
      })(),
    );
    expect(Date.now() - abortedAt).toBeLessThan(300);
    expect(isAbortError(err)).toBe(true);
    expect(err).not.toBeInstanceOf(ModelError);
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.chunksSent).toBeLessThan(6); // the fake saw the socket close and stopped writing
  });

  it("aborts a request still waiting for headers", async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const { err } = await failure(model.chat(ask("hi"), controller.signal));
    expect(isAbortError(err)).toBe(true);
  });

  it("carries a custom abort reason as the cause", async () => {
    const controller = new AbortController();
    controller.abort(new Error("run cancelled"));
    const { err } = await failure(model.chat(ask("hi"), controller.signal));
    expect(isAbortError(err)).toBe(true);
    expect(err.cause).toEqual(new Error("run cancelled"));
    expect(fake.chatRequests).toHaveLength(0);
  });

  it("stops the HTTP stream when the consumer breaks out early", async () => {
    fake.script({ chunks: Array.from({ length: 50 }, (_, i) => `w${i} `), delayMs: 20 });
    for await (const chunk of model.chat(ask("hi"))) {
      if (chunk.type === "text") break;
    }
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.chunksSent).toBeLessThan(6);
  });
});

describe("OllamaChatModel.details", () => {
  it("reads context length and capabilities, calling /api/show once per model", async () => {
    const [a, b] = await Promise.all([model.details("llama3.2"), model.details("llama3.2")]);
    const c = await model.details("llama3.2");
    expect(a).toEqual({ context_length: 8192, capabilities: ["completion", "tools"], family: "llama" });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(fake.showRequests).toEqual([{ model: "llama3.2" }]);
  });

  it("reports no capabilities for servers that do not send them", async () => {
    expect(await model.details("old-model")).toEqual({ context_length: 8192, capabilities: [], family: "llama" });
  });

  it("does not cache failures", async () => {
    await expect(model.details("nope")).rejects.toMatchObject({ kind: "model_not_found" });
    await expect(model.details("nope")).rejects.toMatchObject({ kind: "model_not_found" });
    expect(fake.showRequests).toHaveLength(2);
  });
});
