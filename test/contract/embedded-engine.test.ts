/**
 * LLM_BACKEND=embedded: real inference in this process on stories260K.gguf (a 260K-parameter llama, MIT,
 * test/fixtures/models), no stand-in: a run end to end with exact token counts, a streamed chat completion, a
 * cancelled response, a grammar-forced tool call and json_schema output that parse, embeddings that fill a
 * vector store which searches, a model file that is not there, and /health.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError, toFile } from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { sdkError } from "../helpers/contract.js";
import { WEATHER_TOOL } from "../helpers/runs.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const MODEL = path.resolve("test/fixtures/models/stories260K.gguf");

describe("the embedded engine (llama.cpp in process)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ LLM_BACKEND: "embedded", EMBEDDED_CHAT_MODEL: MODEL, EMBEDDED_EMBEDDING_MODEL: MODEL, EMBEDDED_THREADS: "1" });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("runs an assistant end to end, counting tokens with the model's own tokenizer", async () => {
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", instructions: "You tell short stories." });
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "Once upon a time, Lily" }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_completion_tokens: 256, temperature: 0 }, { pollIntervalMs: 10 });
    expect(["completed", "incomplete"]).toContain(run.status);
    expect(run.usage!.completion_tokens).toBeGreaterThan(0);
    expect(run.usage!.completion_tokens).toBeLessThanOrEqual(256);
    expect(run.usage!.prompt_tokens).toBeGreaterThan(10);
    // Sixteen tokens exactly, then the cap: llama.cpp counts what it generated, not an estimate.
    const capped = await t.client.responses.create({ model: "gpt-4o", input: "Once upon a time", max_output_tokens: 16, temperature: 0 });
    expect(capped.status).toBe("incomplete");
    expect(capped.incomplete_details?.reason).toBe("max_output_tokens");
    expect(capped.usage!.output_tokens).toBe(16);
    const [reply] = (await t.client.beta.threads.messages.list(thread.id)).data;
    expect(reply!.role).toBe("assistant");
    const text = reply!.content[0]!.type === "text" ? reply!.content[0]!.text.value : "";
    expect(text.trim().length).toBeGreaterThan(0);
  }, 60_000);

  it("streams a chat completion whose deltas add up to the answer; a cancelled response stops", async () => {
    const stream = t.client.chat.completions.stream({ model: "gpt-4o", messages: [{ role: "user", content: "Tell me about a cat." }], max_completion_tokens: 30, temperature: 0, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    stream.on("content.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(final.choices[0]!.message.content);
    expect(final.choices[0]!.finish_reason).toBe("length");
    expect(final.usage!.completion_tokens).toBe(30);

    const background = await t.client.responses.create({ model: "gpt-4o", input: "Tell me a very long story.", background: true, max_output_tokens: 1900 });
    const cancelled = await t.client.responses.cancel(background.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.usage?.output_tokens ?? 0).toBeLessThan(1900);
  }, 60_000);

  it("a forced tool call is grammar-constrained: even this tiny model calls the tool with valid arguments", async () => {
    const completion = await t.client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_completion_tokens: 80,
      temperature: 0,
    });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    const args = JSON.parse(call.type === "function" ? call.function.arguments : "{}") as { city?: unknown };
    expect(typeof args.city).toBe("string");
  }, 60_000);

  it("json_schema output is grammar-constrained and parses", async () => {
    const Pet = z.object({ name: z.string(), legs: z.number() });
    const parsed = await t.client.chat.completions.parse({ model: "gpt-4o", messages: [{ role: "user", content: "A pet, as JSON." }], response_format: zodResponseFormat(Pet, "pet"), max_completion_tokens: 80, temperature: 0 });
    const pet = parsed.choices[0]!.message.parsed;
    expect(pet).not.toBeNull();
    expect(Pet.safeParse(pet).success).toBe(true);
  }, 60_000);

  it("sizes prompts with the model's own tokenizer: input_tokens is exact, and truncation drops what the estimate would have let overflow", async () => {
    // Exact: what input_tokens says is what the response then reports using.
    const input = "Once upon a time, Lily and her dog";
    const counted = await t.client.responses.inputTokens.count({ model: "gpt-4o", input });
    const answered = await t.client.responses.create({ model: "gpt-4o", input, max_output_tokens: 16, temperature: 0 });
    expect(answered.usage!.input_tokens).toBe(counted.input_tokens);

    // Letters this model's 512-word vocabulary splits into about one token each: some 2,500 tokens, which the
    // three-characters estimate (about 1,000) takes to fit the 2,048-token context. Counted exactly, the old turn
    // is dropped (truncation auto) and the response completes; with truncation disabled it fails saying so.
    const codes = "zq xv kj wp ".repeat(250);
    const turns = [
      { role: "user" as const, content: codes },
      { role: "assistant" as const, content: "Noted." },
      { role: "user" as const, content: "Tell me a story." },
    ];
    expect((await t.client.responses.inputTokens.count({ model: "gpt-4o", input: turns })).input_tokens).toBeGreaterThan(2048);
    const truncated = await t.client.responses.create({ model: "gpt-4o", input: turns, truncation: "auto", max_output_tokens: 16, temperature: 0 });
    expect(truncated.status).toBe("incomplete"); // its 16 tokens, not a failure
    expect(truncated.usage!.input_tokens).toBeLessThan(100);
    const refused = await t.client.responses.create({ model: "gpt-4o", input: turns, truncation: "disabled", max_output_tokens: 16 });
    expect(refused.status).toBe("failed");
    expect(refused.error?.message).toMatch(/^The input does not fit in the model's context window \(\d{4} tokens for 2032 available\)/);

    // Runs fit their thread the same way (the old message goes), and a chat completion that cannot fit is refused
    // up front with the exact count, as the hosted API refuses one.
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
    const thread = await t.client.beta.threads.create({ messages: turns });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_completion_tokens: 256, temperature: 0 }, { pollIntervalMs: 10 });
    expect(run.status, JSON.stringify(run.last_error)).not.toBe("failed");
    expect(run.usage!.prompt_tokens).toBeLessThan(100);
    const tooLong = await sdkError(t.client.chat.completions.create({ model: "gpt-4o", messages: turns, max_completion_tokens: 16 }), BadRequestError);
    expect(tooLong).toMatchObject({ code: "context_length_exceeded", param: "messages" });
    expect(tooLong.message).toMatch(/This model's maximum context length is 2048 tokens\. However, you requested \d{4} tokens \(\d{4} in the messages, 16 in the completion\)/);
  }, 60_000);

  it("embeds with the model: /v1/embeddings answers and a vector store searches with its vectors", async () => {
    const out = await t.client.embeddings.create({ model: "text-embedding-3-small", input: ["a cat", "a dog"] });
    expect(out.data).toHaveLength(2);
    expect(out.data[0]!.embedding.length).toBe(64);
    expect(out.data[0]!.embedding).not.toEqual(out.data[1]!.embedding);

    const file = await t.client.files.create({ file: await toFile(Buffer.from("The cat sat on the mat.\n\nThe sun is a star."), "notes.txt"), purpose: "assistants" });
    const store = await t.client.vectorStores.create({ name: "notes" });
    const indexed = await t.client.vectorStores.files.createAndPoll(store.id, { file_id: file.id }, { pollIntervalMs: 20 });
    expect(indexed.status).toBe("completed");
    expect((await t.client.vectorStores.retrieve(store.id)) as unknown as Record<string, unknown>).toBeDefined();
    const hits = await t.client.vectorStores.search(store.id, { query: "cat on the mat" });
    expect(hits.data[0]!.file_id).toBe(file.id);
  }, 60_000);

  it("a model name for a GGUF file that is not there fails clearly; /health says what serves and what is loaded", async () => {
    const missing = await sdkError(t.client.chat.completions.create({ model: "missing-model.gguf", messages: [{ role: "user", content: "hi" }] }), NotFoundError);
    expect(missing).toMatchObject({ param: "model", code: "model_not_found" });
    expect(missing.message).toContain("missing-model.gguf' does not exist: put the file in");

    // A request names models, never sources: no URL is fetched, no path outside the models folder is read.
    for (const model of ["http://127.0.0.1:9/evil.gguf", "hf:someone/repo/evil.gguf", "/etc/evil.gguf", "../evil.gguf"]) {
      const refused = await sdkError(t.client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }), NotFoundError);
      expect(refused.message, model).toContain("a request may name a GGUF file in");
      const embed = await sdkError(t.client.embeddings.create({ model, input: "hi" }), NotFoundError);
      expect(embed.message, model).toContain("a request may name a GGUF file in");
    }

    const health = (await (await t.request("/health")).json()) as { backend: string; embedded: { reachable: boolean; loaded: string[]; threads: number } };
    expect(health.backend).toBe("embedded");
    expect(health.embedded).toMatchObject({ reachable: true, loaded: ["stories260K.gguf"], threads: 1, generating: 0, waiting: 0 });
  }, 60_000);
});

describe("the embedded engine with one sequence (EMBEDDED_PARALLEL=1)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ LLM_BACKEND: "embedded", EMBEDDED_CHAT_MODEL: MODEL, EMBEDDED_EMBEDDING_MODEL: "", EMBEDDED_THREADS: "1", EMBEDDED_PARALLEL: "1" });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });
  const activity = async () => ((await (await t.request("/health")).json()) as { embedded: { generating: number; waiting: number } }).embedded;
  // No max_output_tokens: the toy model writes until its context is full (most of a second).
  const story = () => t.client.responses.create({ model: "gpt-4o", input: "Tell me a very long story.", background: true });

  it("a call queued behind another leaves the queue when cancelled: it ends at once, and the sequence goes to the next caller", async () => {
    await t.client.responses.create({ model: "gpt-4o", input: "Once", max_output_tokens: 16 }); // loads the model and its context
    // The first reply holds the only sequence while it writes.
    const first = await story();
    await expect.poll(activity, { timeout: 10_000, interval: 2 }).toMatchObject({ generating: 1 });
    const queued = await story();
    await expect.poll(activity, { timeout: 10_000, interval: 2 }).toMatchObject({ generating: 1, waiting: 1 });
    const cancelled = await t.client.responses.cancel(queued.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.output).toEqual([]);
    expect((await activity()).waiting).toBe(0); // out of the queue now, not when the first reply ends
    // The first reply was not disturbed, and its sequence serves the next caller (a leaked one would hang it).
    await t.client.responses.cancel(first.id).catch(() => undefined); // may already be over
    const next = await t.client.responses.create({ model: "gpt-4o", input: "Once upon a time", max_output_tokens: 16, temperature: 0 });
    expect(next.usage!.output_tokens).toBe(16);
    expect(await activity()).toEqual(expect.objectContaining({ generating: 0, waiting: 0 }));
  }, 60_000);
});
