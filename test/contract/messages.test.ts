import { describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { sdkError, useTestApp, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { seed, stalledRun, useRunApp, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

describe("messages", () => {
  const app = useTestApp();

  it("creates a message from a string", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: "Solve 3x + 11 = 14." });
    expectMatchesSchema(m, "MessageObject");
    expect(m.id).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(m).toMatchObject({
      object: "thread.message",
      thread_id: thread.id,
      role: "user",
      status: "completed",
      content: [{ type: "text", text: { value: "Solve 3x + 11 = 14.", annotations: [] } }],
      assistant_id: null,
      run_id: null,
      metadata: {},
    });
  });

  it("creates a message from content parts, with attachments and metadata", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const image = await client.files.create({ file: await toFile(Buffer.from([0x89, 0x50, 0x4e, 0x47]), "dot.png"), purpose: "vision" });
    const doc = await client.files.create({ file: await toFile(Buffer.from("notes"), "notes.txt"), purpose: "assistants" });
    const m = await client.beta.threads.messages.create(thread.id, {
      role: "user",
      content: [
        { type: "text", text: "Describe this image" },
        { type: "image_file", image_file: { file_id: image.id, detail: "high" } },
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      ],
      attachments: [{ file_id: doc.id, tools: [{ type: "file_search" }, { type: "code_interpreter" }] }],
      metadata: { lang: "en" },
    });
    expectMatchesSchema(m, "MessageObject");
    expect(m.content).toEqual([
      { type: "text", text: { value: "Describe this image", annotations: [] } },
      { type: "image_file", image_file: { file_id: image.id, detail: "high" } },
      { type: "image_url", image_url: { url: "https://example.com/a.png" } },
    ]);
    expect(m.attachments).toEqual([{ file_id: doc.id, tools: [{ type: "file_search" }, { type: "code_interpreter" }] }]);
    expect(m.metadata).toEqual({ lang: "en" });
  });

  it("creates an assistant-role message", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(thread.id, { role: "assistant", content: "Hello!" });
    expectMatchesSchema(m, "MessageObject");
    expect(m.role).toBe("assistant");
  });

  it("lists a thread's messages, newest first by default, and only that thread's", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const other = await client.beta.threads.create({ messages: [{ role: "user", content: "elsewhere" }] });
    const a = await client.beta.threads.messages.create(thread.id, { role: "user", content: "one" });
    const b = await client.beta.threads.messages.create(thread.id, { role: "user", content: "two" });
    const page = await client.beta.threads.messages.list(thread.id);
    expectMatchesSchema(wireBody(page), "ListMessagesResponse");
    expect(page.data.map((m) => m.id)).toEqual([b.id, a.id]);
    expect(wireBody(page)).toMatchObject({ object: "list", first_id: b.id, last_id: a.id, has_more: false });
    expect((await client.beta.threads.messages.list(other.id)).data).toHaveLength(1);
  });

  it("filters by run_id: no run wrote these messages, so a run id matches none", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "hi" }] });
    const page = await client.beta.threads.messages.list(thread.id, { run_id: "run_abcdefghijklmnopqrstuvwx" });
    expectMatchesSchema(wireBody(page), "ListMessagesResponse");
    expect(page.data).toEqual([]);
    expect(page.has_more).toBe(false);
    expect((await client.beta.threads.messages.list(thread.id)).data).toHaveLength(1);
  });

  it("retrieves a message", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: "x", metadata: { k: "v" } });
    const got = await client.beta.threads.messages.retrieve(m.id, { thread_id: thread.id });
    expectMatchesSchema(got, "MessageObject");
    expect(got).toEqual(m);
  });

  it("updates a message's metadata and nothing else", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: "x", metadata: { k: "v" } });
    const updated = await client.beta.threads.messages.update(m.id, { thread_id: thread.id, metadata: { reviewed: "yes" } });
    expectMatchesSchema(updated, "MessageObject");
    expect(updated).toEqual({ ...m, metadata: { reviewed: "yes" } });
    expect(await client.beta.threads.messages.retrieve(m.id, { thread_id: thread.id })).toEqual(updated);
  });

  it("an update without metadata keeps it; metadata null clears it", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: "x", metadata: { k: "v" } });
    expect(await client.beta.threads.messages.update(m.id, { thread_id: thread.id })).toEqual(m);
    const cleared = await client.beta.threads.messages.update(m.id, { thread_id: thread.id, metadata: null });
    expectMatchesSchema(cleared, "MessageObject");
    expect(cleared.metadata).toEqual({});
  });

  it("deletes a message", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const keep = await client.beta.threads.messages.create(thread.id, { role: "user", content: "keep" });
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: "drop" });
    const deleted = await client.beta.threads.messages.delete(m.id, { thread_id: thread.id });
    expectMatchesSchema(deleted, "DeleteMessageResponse");
    expect(deleted).toEqual({ id: m.id, object: "thread.message.deleted", deleted: true });
    const err = await sdkError(client.beta.threads.messages.retrieve(m.id, { thread_id: thread.id }), OpenAI.NotFoundError);
    expect(err.error.message).toBe(`No message found with id '${m.id}'.`);
    expect((await client.beta.threads.messages.list(thread.id)).data.map((x) => x.id)).toEqual([keep.id]);
  });

  it("a message is not reachable through another thread", async () => {
    const { client } = app();
    const mine = await client.beta.threads.create();
    const other = await client.beta.threads.create();
    const m = await client.beta.threads.messages.create(mine.id, { role: "user", content: "private" });
    const message = `No message found with id '${m.id}'.`;
    for (const call of [
      client.beta.threads.messages.retrieve(m.id, { thread_id: other.id }),
      client.beta.threads.messages.update(m.id, { thread_id: other.id, metadata: { x: "y" } }),
      client.beta.threads.messages.delete(m.id, { thread_id: other.id }),
    ]) {
      expect((await sdkError(call, OpenAI.NotFoundError)).error.message).toBe(message);
    }
    // Nothing happened to it through the wrong thread.
    expect(await client.beta.threads.messages.retrieve(m.id, { thread_id: mine.id })).toEqual(m);
  });

  it("messages of an unknown thread are 404 thread", async () => {
    const { client } = app();
    const err = await sdkError(client.beta.threads.messages.create("thread_nope", { role: "user", content: "x" }), OpenAI.NotFoundError);
    expect(err.error.message).toBe("No thread found with id 'thread_nope'.");
  });
});

describe("messages: deleting while a run holds the thread", () => {
  const app = useRunApp();

  /** Delete and create on a thread with an active run: both refused with one and the same error. */
  async function expectRefusedLikeCreate(t: RunTestApp, threadId: string, runId: string, messageId: string) {
    const created = await sdkError(t.client.beta.threads.messages.create(threadId, { role: "user", content: "more" }), OpenAI.BadRequestError);
    const deleted = await sdkError(t.client.beta.threads.messages.delete(messageId, { thread_id: threadId }), OpenAI.BadRequestError);
    expect(deleted.status).toBe(400);
    expect(deleted.error).toEqual(created.error);
    expect(deleted.error).toEqual({ message: `Thread ${threadId} already has an active run ${runId}.`, type: "invalid_request_error", param: null, code: null });
    // Nothing was deleted.
    expect((await t.client.beta.threads.messages.retrieve(messageId, { thread_id: threadId })).id).toBe(messageId);
  }

  it("a run at requires_action: delete is refused like create; once the run completed, delete works", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    const [question] = (await t.client.beta.threads.messages.list(thread.id)).data;
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { chunks: ["Sunny."] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.status).toBe("requires_action");
    await expectRefusedLikeCreate(t, thread.id, run.id, question!.id);

    const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
    await t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: "sunny" }] });
    expect((await waitForRun(t.client, thread.id, run.id)).status).toBe("completed");
    const deleted = await t.client.beta.threads.messages.delete(question!.id, { thread_id: thread.id });
    expect(deleted).toEqual({ id: question!.id, object: "thread.message.deleted", deleted: true });
    expect((await t.client.beta.threads.messages.list(thread.id)).data.map((m) => m.role)).toEqual(["assistant"]);
  });

  it("a run in progress: its own partial reply cannot be deleted either; after cancel, it can", async () => {
    const t = app();
    const { thread, run, message: reply } = await stalledRun(t);
    await expectRefusedLikeCreate(t, thread.id, run.id, reply.id);

    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    expect((await waitForRun(t.client, thread.id, run.id, (r) => r.status === "cancelled")).status).toBe("cancelled");
    expect((await t.client.beta.threads.messages.delete(reply.id, { thread_id: thread.id })).deleted).toBe(true);
    expect((await t.client.beta.threads.messages.list(thread.id)).data.map((m) => m.role)).toEqual(["user"]);
  });
});
