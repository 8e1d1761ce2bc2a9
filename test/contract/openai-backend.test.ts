/**
 * LLM_BACKEND=openai: runs, responses, chat completions, embeddings and vector stores on an OpenAI-compatible
 * server (here a stand-in speaking vLLM's dialect: streamed chunks with tool-call deltas, reasoning_content,
 * usage, /v1/models with max_model_len, /v1/embeddings, errors), driven through our API with the SDK.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InternalServerError, NotFoundError, toFile } from "openai";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startOpenAiServerFake, type OpenAiServerFake } from "../fakes/openai-server-fake.js";
import { sdkError } from "../helpers/contract.js";
import { waitForRun, WEATHER_TOOL } from "../helpers/runs.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import fs from "node:fs";

const CHAT = "Qwen/Qwen3-8B";
const EMBED = "BAAI/bge-small-en-v1.5";

describe("the OpenAI-compatible backend", () => {
  let server: OpenAiServerFake;
  let t: TestApp;

  beforeEach(async () => {
    server = await startOpenAiServerFake({ chatModels: [{ id: CHAT, maxModelLen: 16384 }], embeddingModels: [EMBED], apiKey: "upstream-secret" });
    t = await makeTestApp({ LLM_BACKEND: "openai", LLM_BASE_URL: server.url, LLM_API_KEY: "upstream-secret", CHAT_MODEL: CHAT, EMBEDDING_MODEL: EMBED });
  });
  afterEach(async () => {
    await t.close();
    await server.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("chat completions stream from it: an OpenAI name runs on CHAT_MODEL, options and the key reach it, usage comes back", async () => {
    server.script({ chunks: ["Hel", "lo", "!"] });
    const stream = t.client.chat.completions.stream({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], temperature: 0.3, max_completion_tokens: 40, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    stream.on("content.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(deltas).toEqual(["Hel", "lo", "!"]);
    expect(final.choices[0]!.message.content).toBe("Hello!");
    expect(final.usage!.completion_tokens).toBe(3);
    expect(server.chatRequests[0]).toMatchObject({ model: CHAT, stream: true, stream_options: { include_usage: true }, temperature: 0.3, max_tokens: 40, messages: [{ role: "user", content: "hi" }] });
    expect(server.chatRequests[0].num_ctx).toBeUndefined();
    expect(server.chatRequests[0].reasoning_effort).toBeUndefined(); // none asked: the model's own default

    server.script({ text: "Thought about it." });
    await t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hard one" }], reasoning_effort: "high" });
    expect(server.chatRequests[1].reasoning_effort).toBe("high");
    expect(new Set(server.authorizations)).toEqual(new Set(["Bearer upstream-secret"]));
  });

  it("a run's tool call arrives as deltas and is put together; the output goes back paired with the call's id", async () => {
    server.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo", units: "metric" } }] }, { text: "3 degrees in Oslo." });
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "Weather in Oslo?" }] });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const waiting = await waitForRun(t.client, thread.id, run.id);
    expect(waiting.status).toBe("requires_action");
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]!;
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Oslo", units: "metric" });
    expect(server.chatRequests[0].tools).toEqual([{ type: "function", function: { name: "get_weather", description: WEATHER_TOOL.function.description, parameters: WEATHER_TOOL.function.parameters } }]);

    await t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: "3 C" }] });
    const done = await waitForRun(t.client, thread.id, run.id);
    expect(done.status).toBe("completed");
    const messages = server.chatRequests[1].messages;
    const assistantTurn = messages.find((m: any) => m.role === "assistant");
    const toolTurn = messages.find((m: any) => m.role === "tool");
    expect(assistantTurn.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city":"Oslo","units":"metric"}' });
    expect(toolTurn).toEqual({ role: "tool", tool_call_id: assistantTurn.tool_calls[0].id, content: "3 C" });
    expect((await t.client.beta.threads.messages.list(thread.id)).data[0]!.content[0]).toMatchObject({ text: { value: "3 degrees in Oslo." } });
  });

  it("prompts are sized by the server's max_model_len, beyond the 8192 cap unlisted Ollama models get", async () => {
    const long = "word ".repeat(7200); // about 12,000 tokens by the context fitter's count
    server.script({ text: "Read it all." });
    const response = await t.client.responses.create({ model: CHAT, input: long });
    expect(response.status).toBe("completed");
    expect(server.chatRequests.at(-1).messages.at(-1).content).toBe(long);
  });

  it("tool outputs given out of order go back paired with their own calls' ids", async () => {
    server.script({ text: "Oslo 3, Rome 20." });
    await t.client.chat.completions.create({
      model: CHAT,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Oslo and Rome?" },
        { role: "assistant", content: null, tool_calls: [
          { id: "call_oslo", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "call_rome", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ] },
        { role: "tool", tool_call_id: "call_rome", content: "20 C" },
        { role: "tool", tool_call_id: "call_oslo", content: "3 C" },
      ],
    });
    const sent = server.chatRequests.at(-1).messages;
    expect(sent[1].tool_calls.map((c: { id: string }) => c.id)).toEqual(["call_oslo", "call_rome"]);
    expect(sent.slice(2)).toEqual([
      { role: "tool", tool_call_id: "call_rome", content: "20 C" },
      { role: "tool", tool_call_id: "call_oslo", content: "3 C" },
    ]);
  });

  it("a response shows the server's reasoning_content as a reasoning item, never in the text", async () => {
    server.script({ reasoning: "The user greets me.", text: "Hi!" });
    const response = await t.client.responses.create({ model: CHAT, input: "hello" });
    expect(response.status).toBe("completed");
    expect(response.output.map((i) => i.type)).toEqual(["reasoning", "message"]);
    expect(response.output_text).toBe("Hi!");
    expect(JSON.stringify(response.output[0])).toContain("The user greets me.");
  });

  it("embeddings and vector stores use its /embeddings", async () => {
    const out = await t.client.embeddings.create({ model: "text-embedding-3-small", input: ["alpha", "beta"] });
    expect(out.data).toHaveLength(2);
    expect(out.data[0]!.embedding).toHaveLength(64);
    expect(server.embedRequests[0]).toMatchObject({ model: EMBED, input: ["alpha", "beta"] });

    const file = await t.client.files.create({ file: await toFile(Buffer.from("Saturn has rings of ice.\n\nMars is red."), "planets.txt"), purpose: "assistants" });
    const store = await t.client.vectorStores.create({ name: "planets" });
    const indexed = await t.client.vectorStores.files.createAndPoll(store.id, { file_id: file.id }, { pollIntervalMs: 20 });
    expect(indexed.status).toBe("completed");
    const hits = await t.client.vectorStores.search(store.id, { query: "rings of Saturn" });
    expect(hits.data[0]!.file_id).toBe(file.id);
    expect(server.embedRequests.length).toBeGreaterThanOrEqual(3); // the call above, the file's chunks, the query
  });

  it("models, health and errors: what it serves is listed; a model it does not serve, a failure mid-stream and a server that is down say so", async () => {
    const ids = (await t.client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([CHAT, EMBED, "gpt-4o"]));
    expect(ids).not.toContain("llama3.2"); // the manifest's names map to Ollama tags: not served here
    const health = await (await t.request("/health")).json();
    expect(health).toMatchObject({ backend: "openai", openai: { url: server.url, reachable: true, models: [CHAT, EMBED] } });

    const missing = await sdkError(t.client.chat.completions.create({ model: "llama-9000", messages: [{ role: "user", content: "x" }] }), NotFoundError);
    expect(missing).toMatchObject({ param: "model", code: "model_not_found" });
    expect(missing.message).toContain(`it serves: ${CHAT}, ${EMBED}`);

    server.script({ chunks: ["Par", "tial"], errorMidStream: "CUDA out of memory" });
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "hi" }] });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const failed = await waitForRun(t.client, thread.id, run.id);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toMatchObject({ code: "server_error", message: "The model server failed while generating the reply: CUDA out of memory" });

    await server.close();
    const down = await sdkError(t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }), InternalServerError);
    expect(down.status).toBe(502);
    expect(down.message).toBe(`502 The OpenAI-compatible model server is not reachable at ${server.url}: start it (vLLM, llama-server, LM Studio…) or set LLM_BASE_URL.`);
    expect((await (await t.request("/health")).json()).openai).toMatchObject({ reachable: false, error: expect.stringContaining("not reachable") });
  });

  it("LLM_BACKEND=openai without LLM_BASE_URL is a configuration error naming it", () => {
    expect(() => loadConfig({ LLM_BACKEND: "openai" })).toThrow(ConfigError);
    expect(() => loadConfig({ LLM_BACKEND: "openai" })).toThrow(/LLM_BASE_URL/);
  });
});
