import { describe, expect, it } from "vitest";
import { wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { expectRunSchema, seed, stepsOf, textOf, useRunApp, waitForRun } from "../helpers/runs.js";

describe("runs: request fields reach the model", () => {
  const app = useRunApp();

  it("instructions override the assistant's; additional_instructions come last as a later system message", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "question");
    const run = await t.client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, instructions: "You are a pirate.", additional_instructions: "Answer in one word." },
      { pollIntervalMs: 5 },
    );
    expect(run.status).toBe("completed");
    expect(run.instructions).toBe("You are a pirate.");
    expect(t.ollama.chatRequests[0]!.messages).toEqual([
      { role: "system", content: "You are a pirate." },
      { role: "user", content: "question" },
      { role: "system", content: "Answer in one word." },
    ]);
  });

  it("without an override the run takes the assistant's instructions", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.instructions).toBe("You are terse.");
  });

  it("additional_messages are added to the thread before the run reads it", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "first");
    t.ollama.script({ text: "ok" });
    const run = await t.client.beta.threads.runs.createAndPoll(
      thread.id,
      {
        assistant_id: assistant.id,
        additional_messages: [
          { role: "assistant", content: "earlier answer" },
          { role: "user", content: "follow-up", metadata: { k: "v" } },
        ],
      },
      { pollIntervalMs: 5 },
    );
    expect(run.status).toBe("completed");
    expect(t.ollama.chatRequests[0]!.messages.slice(1)).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "earlier answer" },
      { role: "user", content: "follow-up" },
    ]);
    const stored = (await t.client.beta.threads.messages.list(thread.id, { order: "asc" })).data;
    expect(stored.map(textOf)).toEqual(["first", "earlier answer", "follow-up", "ok"]);
    expect(stored[2]!.metadata).toEqual({ k: "v" });
  });

  it("model override: the run records it and Ollama is asked for that tag", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, model: "tiny:1b" }, { pollIntervalMs: 5 });
    expect(run).toMatchObject({ status: "completed", model: "tiny:1b" });
    expect(t.ollama.chatRequests[0]!.model).toBe("tiny:1b");
  });

  it("OpenAI model names resolve to the default local model", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, model: "gpt-4o-mini" }, { pollIntervalMs: 5 });
    expect(run.model).toBe("gpt-4o-mini");
    expect(t.ollama.chatRequests[0]!.model).toBe(DEFAULT_TAG);
  });

  it("temperature, top_p and max_completion_tokens become Ollama options, with num_ctx always set", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, temperature: 0.2, top_p: 0.5, max_completion_tokens: 300 },
      { pollIntervalMs: 5 },
    );
    expect(run).toMatchObject({ temperature: 0.2, top_p: 0.5, max_completion_tokens: 300 });
    expect(t.ollama.chatRequests[0]!.options).toEqual({ num_ctx: 8192, temperature: 0.2, top_p: 0.5, num_predict: 300 });
  });

  it("the assistant's temperature and top_p apply when the run gives none", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "hi", { temperature: 0.7, top_p: 0.9 });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run).toMatchObject({ temperature: 0.7, top_p: 0.9, max_completion_tokens: null });
    const options = t.ollama.chatRequests[0]!.options!;
    expect(options).toMatchObject({ num_ctx: 8192, temperature: 0.7, top_p: 0.9 });
    expect(options).not.toHaveProperty("num_predict");
  });

  it("response_format json_object → format json; json_schema → format is the schema; auto → no format", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    t.ollama.script({ text: '{"a":1}' }, { text: '{"answer":"x"}' }, { text: "plain" });
    const poll = { pollIntervalMs: 5 };
    await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, response_format: { type: "json_object" } }, poll);
    const r2 = await t.client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, response_format: { type: "json_schema", json_schema: { name: "answer", schema } } },
      poll,
    );
    expectRunSchema(r2);
    expect(r2.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "answer", schema } });
    await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    const [json, withSchema, plain] = t.ollama.chatRequests;
    expect(json!.format).toBe("json");
    expect(withSchema!.format).toEqual(schema);
    expect(plain).not.toHaveProperty("format");
  });

  it("metadata is stored on create and can be modified", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, metadata: { job: "42" } });
    expect(run.metadata).toEqual({ job: "42" });
    await waitForRun(t.client, thread.id, run.id);
    const updated = await t.client.beta.threads.runs.update(run.id, { thread_id: thread.id, metadata: { job: "43", extra: "y" } });
    expectRunSchema(updated);
    expect(updated.metadata).toEqual({ job: "43", extra: "y" });
    expect(updated.status).toBe("completed");
    expect((await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).metadata).toEqual({ job: "43", extra: "y" });
  });

  it("lists runs newest first with cursor pagination", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 })).id);
    }
    const first = await t.client.beta.threads.runs.list(thread.id, { limit: 2 });
    expect(first.data.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.hasNextPage()).toBe(true);
    expectMatchesSchema(wireBody(first), "ListRunsResponse");
    const second = await first.getNextPage();
    expect(second.data.map((r) => r.id)).toEqual([ids[0]]);
    expect(second.hasNextPage()).toBe(false);
    const asc = await t.client.beta.threads.runs.list(thread.id, { order: "asc" });
    expect(asc.data.map((r) => r.id)).toEqual(ids);
    const all: string[] = [];
    for await (const r of t.client.beta.threads.runs.list(thread.id, { limit: 1 })) all.push(r.id);
    expect(all).toEqual([...ids].reverse());
  });

  it("usage on the run and its step comes from Ollama's prompt and eval counts", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: "counted reply", promptTokens: 42, evalTokens: 7 });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.usage).toEqual({ prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 });
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(step!.usage).toEqual({ prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 });
  });

  it("a queued or running run has usage null", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["a"], stallAfterChunks: 1 });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect(run.usage).toBeNull();
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
  });
});
