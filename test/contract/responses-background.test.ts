/**
 * Background responses: created at once and finished later, cancel stopping the model stream at once, streams
 * resumed with `starting_after` (stored events, then live ones), progress visible while they run, and a restart
 * (a second server on the same DATA_DIR, as after a crash) ending what was left in progress as failed.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { sdkError } from "../helpers/contract.js";
import { expectEventsSchema, expectResponseSchema } from "../helpers/responses.js";
import { useRunApp, waitFor } from "../helpers/runs.js";
import { makeTestApp } from "../helpers/test-app.js";

describe("Responses API: background", () => {
  const app = useRunApp();

  it("answers at once in progress, and the stored response completes on its own", async () => {
    const t = app();
    t.ollama.script({ chunks: ["slow", " reply"], delayMs: 150 });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "take your time", background: true });
    expectResponseSchema(created);
    expect(created.status).toBe("in_progress");
    expect(created.background).toBe(true);
    const done = await waitFor(async () => {
      const r = await t.client.responses.retrieve(created.id);
      return r.status === "completed" ? r : null;
    });
    expectResponseSchema(done);
    expect(done.output_text).toBe("slow reply");
  });

  it("cancel stops the model call at once and ends the response cancelled; cancelling again changes nothing", async () => {
    const t = app();
    t.ollama.script({ hang: true });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "never answered", background: true });
    await waitFor(() => t.ollama.chatRequests.length === 1);
    const started = Date.now();
    const cancelled = await t.client.responses.cancel(created.id);
    expect(Date.now() - started).toBeLessThan(2000);
    expectResponseSchema(cancelled);
    expect(cancelled.status).toBe("cancelled");
    expect((await t.client.responses.retrieve(created.id)).status).toBe("cancelled");
    expect((await t.client.responses.cancel(created.id)).status).toBe("cancelled");
  });

  it("refuses to cancel a response that is not a background one, and background without store", async () => {
    const t = app();
    t.ollama.script({ text: "done" });
    const plain = await t.client.responses.create({ model: "gpt-4o", input: "hi" });
    await sdkError(t.client.responses.cancel(plain.id), BadRequestError);
    const err = await sdkError(t.client.responses.create({ model: "gpt-4o", input: "hi", background: true, store: false }), BadRequestError);
    expect(err.error.param).toBe("background");
  });

  // A second app on the same data while the first still runs stands for a restart on SQLite (one process per
  // data directory). On PostgreSQL it is a second node, which rightly leaves the first node's live work alone:
  // test/cluster/nodes.test.ts kills a real node there instead.
  const sharedStore = process.env.TEST_DATABASE_URL !== undefined;

  it.skipIf(sharedStore)("a restart ends a background response left in progress as failed, saying so", async () => {
    const t = app();
    t.ollama.script({ hang: true });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "interrupted", background: true });
    await waitFor(() => t.ollama.chatRequests.length === 1);
    // A second server on the same data, as after a crash of the first (which never got to finish it).
    const restarted = await makeTestApp({ DATA_DIR: t.dataDir, OLLAMA_HOST: t.ollama.url });
    try {
      const after = await restarted.client.responses.retrieve(created.id);
      expectResponseSchema(after);
      expect(after.status).toBe("failed");
      expect(after.error).toMatchObject({ code: "server_error", message: expect.stringMatching(/server stopped/) });
    } finally {
      await restarted.close();
    }
  });

  it("a plain response is stored once, as it ended: nothing of it is in the store while it runs (nobody knows its id yet); then it is there with its input items", async () => {
    const t = app();
    t.ollama.script({ chunks: ["slow", " reply"], delayMs: 150 });
    const pending = t.client.responses.create({ model: "gpt-4o", input: "take your time" });
    await waitFor(() => t.ollama.chatRequests.length === 1);
    // A crash now would leave nothing in progress behind, where a background response would be ended as failed.
    expect(t.services.repos.responses.all()).toEqual([]);
    const done = await pending;
    expect(done.status).toBe("completed");
    expect(t.services.repos.responses.all().map((r) => [r.id, r.status])).toEqual([[done.id, "completed"]]);
    const stored = await t.client.responses.retrieve(done.id);
    expectResponseSchema(stored);
    expect(stored.output_text).toBe("slow reply");
    const items = await t.client.responses.inputItems.list(done.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "take your time" }] });
  });

  it("a background stream the client drops goes on; GET ?stream=true&starting_after=N gives the events after N, then live ones, to the end", async () => {
    const t = app();
    t.ollama.script({ chunks: ["one", " two", " three", " four"], delayMs: 80 });
    const first: ResponseStreamEvent[] = [];
    const stream = await t.client.responses.create({ model: "gpt-4o", input: "count", background: true, stream: true });
    for await (const event of stream) {
      first.push(event);
      if (event.type === "response.output_text.delta") break; // the client disconnects
    }
    const id = (first[0] as { response: { id: string } }).response.id;
    const last = first.at(-1)!.sequence_number;
    const rest: ResponseStreamEvent[] = [];
    for await (const event of await t.client.responses.retrieve(id, { stream: true, starting_after: last })) rest.push(event);
    const all = [...first, ...rest];
    expectEventsSchema(all); // numbered 0, 1, 2 … with no gap and no repeat across the two connections
    expect(rest[0]!.sequence_number).toBe(last + 1);
    expect(all.at(-1)).toMatchObject({ type: "response.completed", response: { id, status: "completed" } });
    expect(all.filter((e) => e.type === "response.output_text.delta").map((e) => (e as { delta: string }).delta).join("")).toBe("one two three four");

    // Once it ended, the whole stream replays from the store; the SDK's accumulator rebuilds the response from it.
    const replay = t.client.responses.stream({ response_id: id });
    const final = await replay.finalResponse();
    expectResponseSchema(final);
    expect(final.output_text).toBe("one two three four");
    const after = await t.client.responses.retrieve(id, { stream: true, starting_after: all.at(-2)!.sequence_number });
    const tail: ResponseStreamEvent[] = [];
    for await (const event of after) tail.push(event);
    expect(tail.map((e) => e.type)).toEqual(["response.completed"]);
  });

  it("a GET while a background response runs shows its output so far", async () => {
    const t = app();
    t.ollama.script({ chunks: ["partial", " text", " never finished"], stallAfterChunks: 2 });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "go", background: true });
    const running = await waitFor(async () => {
      const r = await t.client.responses.retrieve(created.id);
      return r.output.length > 0 ? r : null;
    });
    expectResponseSchema(running);
    expect(running.status).toBe("in_progress");
    expect(running.output[0]).toMatchObject({ type: "message", role: "assistant", status: "in_progress" });
    expect((await t.client.responses.cancel(created.id)).status).toBe("cancelled");
  });

  it("only background responses stream again; a deleted one has no events left", async () => {
    const t = app();
    t.ollama.script({ text: "plain" }, { text: "background" });
    const plain = await t.client.responses.create({ model: "gpt-4o", input: "hi" });
    const err = await sdkError(t.client.responses.retrieve(plain.id, { stream: true }), BadRequestError);
    expect(err.error.param).toBe("stream");
    const bg = await t.client.responses.create({ model: "gpt-4o", input: "hi", background: true });
    await waitFor(async () => (await t.client.responses.retrieve(bg.id)).status === "completed");
    await t.client.responses.delete(bg.id);
    await sdkError(t.client.responses.retrieve(bg.id, { stream: true }), NotFoundError);
  });

  it.skipIf(sharedStore)("after a restart, the interrupted response's stream replays what was sent and ends with response.failed", async () => {
    const t = app();
    t.ollama.script({ chunks: ["cut", " short", " here"], stallAfterChunks: 2 });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "interrupted", background: true });
    await waitFor(async () => (await t.client.responses.retrieve(created.id)).output.length > 0);
    const restarted = await makeTestApp({ DATA_DIR: t.dataDir, OLLAMA_HOST: t.ollama.url });
    try {
      const events: ResponseStreamEvent[] = [];
      for await (const event of await restarted.client.responses.retrieve(created.id, { stream: true })) events.push(event);
      expectEventsSchema(events);
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(["response.created", "response.in_progress"]);
      expect(events.some((e) => e.type === "response.output_text.delta")).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: "response.failed", response: { status: "failed", error: { code: "server_error" } } });
    } finally {
      await restarted.close();
    }
  });
});
