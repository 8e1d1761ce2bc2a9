import { describe, expect, it } from "vitest";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { expectRunSchema, seed, stepsOf, textOf, useRunApp, waitForRun } from "../helpers/runs.js";

describe("runs: the seed flow", () => {
  const app = useRunApp();

  it("assistant, thread, message, run, poll, list messages → the scripted reply", async () => {
    const t = app();
    const c = t.client;
    const assistant = await t.assistant();
    const thread = await c.beta.threads.create();
    await c.beta.threads.messages.create(thread.id, { role: "user", content: "What is 2+2?" });
    t.ollama.script({ chunks: ["It", " is", " 4."] });

    const created = await c.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expectRunSchema(created);
    expect(created).toMatchObject({ object: "thread.run", thread_id: thread.id, assistant_id: assistant.id, status: "queued" });
    expect(created.id).toMatch(/^run_[A-Za-z0-9]{24}$/);

    const run = await waitForRun(c, thread.id, created.id);
    expectRunSchema(run);
    expect(run.status).toBe("completed");
    expect(run.completed_at).toBeGreaterThanOrEqual(run.started_at!);
    expect(run.expires_at).toBeNull();
    expect(run.last_error).toBeNull();

    const messages = await c.beta.threads.messages.list(thread.id);
    expect(messages.data).toHaveLength(2);
    const reply = messages.data[0]!;
    expect(reply).toMatchObject({ role: "assistant", run_id: run.id, assistant_id: assistant.id, status: "completed" });
    expect(reply.content).toEqual([{ type: "text", text: { value: "It is 4.", annotations: [] } }]);

    const [step] = await stepsOf(c, thread.id, run.id);
    expect(step).toMatchObject({ type: "message_creation", status: "completed", run_id: run.id });
    expect(step!.step_details).toEqual({ type: "message_creation", message_creation: { message_id: reply.id } });

    const request = t.ollama.chatRequests[0]!;
    expect(request.model).toBe(DEFAULT_TAG);
    expect(request.stream).toBe(true);
    expect(request.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "What is 2+2?" },
    ]);
  });

  it("a second turn sends the first exchange, system instructions first (the thread is stateful)", async () => {
    const t = app();
    const c = t.client;
    const { assistant, thread } = await seed(t, "My name is Ada.");
    t.ollama.script({ text: "Nice to meet you, Ada." }, { text: "Your name is Ada." });
    const first = await c.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(first.status).toBe("completed");
    await c.beta.threads.messages.create(thread.id, { role: "user", content: "What is my name?" });
    const second = await c.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(second.status).toBe("completed");

    expect(t.ollama.chatRequests[1]!.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "What is my name?" },
    ]);
    // The first request is a byte-exact prefix of the second: Ollama can reuse its KV cache.
    const [one, two] = t.ollama.chatRequests.map((r) => JSON.stringify(r.messages).slice(0, -1));
    expect(two!.startsWith(one!)).toBe(true);
    const texts = (await c.beta.threads.messages.list(thread.id, { order: "asc" })).data.map(textOf);
    expect(texts).toEqual(["My name is Ada.", "Nice to meet you, Ada.", "What is my name?", "Your name is Ada."]);
  });

  it("createAndPoll resolves with the completed run", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: "Done." });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expectRunSchema(run);
    expect(run.status).toBe("completed");
    expect(await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).toEqual(run);
  });

  it("createAndRun makes the thread and the run in one call", async () => {
    const t = app();
    const c = t.client;
    const assistant = await t.assistant();
    t.ollama.script({ text: "Bonjour." });
    const run = await c.beta.threads.createAndRun({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "Say hello in French." }], metadata: { from: "createAndRun" } },
    });
    expectRunSchema(run);
    expect(run.thread_id).toMatch(/^thread_/);
    const thread = await c.beta.threads.retrieve(run.thread_id);
    expect(thread.metadata).toEqual({ from: "createAndRun" });
    expect((await waitForRun(c, run.thread_id, run.id)).status).toBe("completed");
    const texts = (await c.beta.threads.messages.list(run.thread_id, { order: "asc" })).data.map(textOf);
    expect(texts).toEqual(["Say hello in French.", "Bonjour."]);
  });

  it("createAndRunPoll resolves with the completed run", async () => {
    const t = app();
    const assistant = await t.assistant();
    t.ollama.script({ text: "Polled." });
    const run = await t.client.beta.threads.createAndRunPoll(
      { assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "hi" }] } },
      { pollIntervalMs: 5 },
    );
    expect(run.status).toBe("completed");
    const [reply] = (await t.client.beta.threads.messages.list(run.thread_id)).data;
    expect(textOf(reply!)).toBe("Polled.");
  });

  it("createAndRun with an unknown assistant is a 404 and creates no thread", async () => {
    const t = app();
    const res = await t.request("/v1/threads/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: "asst_nope", thread: { messages: [{ role: "user", content: "x" }] } }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("No assistant found with id 'asst_nope'.");
    expect(t.services.db.prepare("SELECT count(*) FROM threads").pluck().get()).toBe(0);
  });

  it("createAndRun refused for a bad tool_choice leaves no thread behind", async () => {
    const t = app();
    const assistant = await t.assistant();
    const res = await t.request("/v1/threads/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: assistant.id, tool_choice: { type: "function", function: { name: "nope" } }, thread: { messages: [{ role: "user", content: "x" }] } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("tool_choice");
    expect(t.services.db.prepare("SELECT count(*) FROM threads").pluck().get()).toBe(0);
  });

  it("run responses carry openai-poll-after-ms (the SDK pollers would otherwise sleep 5 s)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const { data: run, response } = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }).withResponse();
    expect(Number(response.headers.get("openai-poll-after-ms"))).toBeGreaterThan(0);
    const retrieved = await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }).withResponse();
    expect(Number(retrieved.response.headers.get("openai-poll-after-ms"))).toBeGreaterThan(0);
    await waitForRun(t.client, thread.id, run.id);
  });

  it("unknown thread or run ids are 404s in OpenAI's words", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const missingThread = await t.request("/v1/threads/thread_nope/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: assistant.id }),
    });
    expect(missingThread.status).toBe(404);
    expect(((await missingThread.json()) as { error: { message: string } }).error.message).toBe("No thread found with id 'thread_nope'.");
    const missingRun = await t.request(`/v1/threads/${thread.id}/runs/run_nope`);
    expect(missingRun.status).toBe(404);
    expect(((await missingRun.json()) as { error: { message: string } }).error.message).toBe("No run found with id 'run_nope'.");
  });
});
