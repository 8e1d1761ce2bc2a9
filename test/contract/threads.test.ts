import { describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { sdkError, useTestApp, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { seed, textOf, useRunApp, waitFor } from "../helpers/runs.js";

describe("threads", () => {
  const app = useTestApp();

  it("creates an empty thread", async () => {
    const thread = await app().client.beta.threads.create();
    expectMatchesSchema(thread, "ThreadObject");
    expect(thread.id).toMatch(/^thread_[0-9A-Za-z]{24}$/);
    expect(thread).toMatchObject({ object: "thread", metadata: {} });
    const messages = await app().client.beta.threads.messages.list(thread.id);
    expectMatchesSchema(wireBody(messages), "ListMessagesResponse");
    expect(messages.data).toEqual([]);
  });

  it("creates a thread with metadata", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({ metadata: { user: "u-1", topic: "billing" } });
    expectMatchesSchema(thread, "ThreadObject");
    expect(thread.metadata).toEqual({ user: "u-1", topic: "billing" });
    expect(await client.beta.threads.retrieve(thread.id)).toEqual(thread);
  });

  it("creates a thread with initial messages, as strings and as content parts, kept in order", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({
      messages: [
        { role: "user", content: "What is 2 + 2?" },
        { role: "assistant", content: "4." },
        {
          role: "user",
          content: [
            { type: "text", text: "And this picture?" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
          ],
          metadata: { source: "upload" },
        },
      ],
    });
    expectMatchesSchema(thread, "ThreadObject");
    const page = await client.beta.threads.messages.list(thread.id, { order: "asc" });
    expectMatchesSchema(wireBody(page), "ListMessagesResponse");
    expect(page.data.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    for (const m of page.data) {
      expectMatchesSchema(m, "MessageObject");
      expect(m).toMatchObject({ thread_id: thread.id, status: "completed", run_id: null, assistant_id: null });
    }
    expect(page.data[0]!.content).toEqual([{ type: "text", text: { value: "What is 2 + 2?", annotations: [] } }]);
    expect(page.data[2]!.content).toEqual([
      { type: "text", text: { value: "And this picture?", annotations: [] } },
      { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
    ]);
    expect(page.data[2]!.metadata).toEqual({ source: "upload" });
  });

  it("creates a thread with code_interpreter files in tool_resources", async () => {
    const { client } = app();
    const file = await client.files.create({ file: await toFile(Buffer.from("a,b\n1,2\n"), "data.csv"), purpose: "assistants" });
    const thread = await client.beta.threads.create({ tool_resources: { code_interpreter: { file_ids: [file.id] } } });
    expectMatchesSchema(thread, "ThreadObject");
    expect(thread.tool_resources).toEqual({ code_interpreter: { file_ids: [file.id] } });
  });

  it("retrieves what create returned", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({ metadata: { a: "1" } });
    const got = await client.beta.threads.retrieve(thread.id);
    expectMatchesSchema(got, "ThreadObject");
    expect(got).toEqual(thread);
  });

  it("updates metadata (replacing it) and keeps the rest", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({ metadata: { a: "1", b: "2" } });
    const updated = await client.beta.threads.update(thread.id, { metadata: { c: "3" } });
    expectMatchesSchema(updated, "ThreadObject");
    expect(updated).toEqual({ ...thread, metadata: { c: "3" } });
    expect(await client.beta.threads.retrieve(thread.id)).toEqual(updated);
  });

  it("an update without metadata keeps it; metadata null clears it", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create({ metadata: { a: "1" } });
    expect(await client.beta.threads.update(thread.id, {})).toEqual(thread);
    const cleared = await client.beta.threads.update(thread.id, { metadata: null });
    expectMatchesSchema(cleared, "ThreadObject");
    expect(cleared.metadata).toEqual({});
  });

  it("deletes a thread together with its messages", async () => {
    const { client, services } = app();
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "hello" }] });
    const other = await client.beta.threads.create({ messages: [{ role: "user", content: "stay" }] });
    const [message] = (await client.beta.threads.messages.list(thread.id)).data;

    const deleted = await client.beta.threads.delete(thread.id);
    expectMatchesSchema(deleted, "DeleteThreadResponse");
    expect(deleted).toEqual({ id: thread.id, object: "thread.deleted", deleted: true });

    const notFound = `No thread found with id '${thread.id}'.`;
    expect((await sdkError(client.beta.threads.retrieve(thread.id), OpenAI.NotFoundError)).error.message).toBe(notFound);
    expect((await sdkError(client.beta.threads.messages.list(thread.id), OpenAI.NotFoundError)).error.message).toBe(notFound);
    expect(
      (await sdkError(client.beta.threads.messages.retrieve(message!.id, { thread_id: thread.id }), OpenAI.NotFoundError)).error
        .message,
    ).toBe(notFound);
    expect((await sdkError(client.beta.threads.delete(thread.id), OpenAI.NotFoundError)).error.message).toBe(notFound);
    // The rows are gone too, not merely unreachable.
    expect(services.repos.messages.get(message!.id)).toBeNull();
    expect((await client.beta.threads.messages.list(other.id)).data).toHaveLength(1);
  });

  it("a failed create (unknown attachment) leaves no thread behind", async () => {
    const { client, services } = app();
    const err = await sdkError(
      client.beta.threads.create({
        messages: [
          { role: "user", content: "fine" },
          { role: "user", content: "bad", attachments: [{ file_id: "file-doesnotexist", tools: [{ type: "file_search" }] }] },
        ],
      }),
      OpenAI.BadRequestError,
    );
    expect(err.error.param).toMatch(/^messages\[1\]\.attachments\[0\]/);
    expect(services.repos.threads.all()).toEqual([]);
    expect(services.repos.messages.all()).toEqual([]);
  });
});

describe("threads: deleting a thread with a run in progress", () => {
  // One run at a time: a run left going would hold the only slot for MODEL_TIMEOUT_MS.
  const app = useRunApp({ RUN_CONCURRENCY: "1" });

  it("stops the run (its slot frees at once) and deletes it with the thread", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Hel", "lo"], stallAfterChunks: 2 });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitFor(async () => {
      const [m] = (await t.client.beta.threads.messages.list(thread.id)).data;
      return m?.role === "assistant" && textOf(m) !== "";
    }, 5000, "the partial reply");

    expect(await t.client.beta.threads.delete(thread.id)).toEqual({ id: thread.id, object: "thread.deleted", deleted: true });
    const gone = await sdkError(t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }), OpenAI.NotFoundError);
    expect(gone.status).toBe(404);
    expect(t.services.repos.runs.get(run.id)).toBeNull();

    const other = await t.client.beta.threads.create({ messages: [{ role: "user", content: "next" }] });
    const started = Date.now();
    const next = await t.client.beta.threads.runs.createAndPoll(other.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(next.status).toBe("completed");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
