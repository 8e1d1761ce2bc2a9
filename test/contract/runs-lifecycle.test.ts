import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { sdkError } from "../helpers/contract.js";
import { expectRunSchema, seed, sleep, stalledRun, stepsOf, textOf, useRunApp, waitFor, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

const poll = { pollIntervalMs: 5 };

describe("runs: cancel", () => {
  const app = useRunApp();

  it("a running run goes cancelling → cancelled; its partial message ends incomplete (run_cancelled); the model call is aborted", async () => {
    const t = app();
    const { thread, run, message } = await stalledRun(t);
    const started = Date.now();
    const cancelling = await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    expectRunSchema(cancelling);
    expect(cancelling.status).toBe("cancelling");
    const ended = await waitForRun(t.client, thread.id, run.id, (r) => r.status !== "cancelling", 5000);
    // The stalled model would hold its stream open for MODEL_TIMEOUT_MS (120 s): ending now proves the abort.
    expect(Date.now() - started).toBeLessThan(5000);
    expectRunSchema(ended);
    expect(ended).toMatchObject({ status: "cancelled", expires_at: null, last_error: null });
    expect(ended.cancelled_at).toBeGreaterThan(0);

    const stored = await t.client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    expect(stored).toMatchObject({ status: "incomplete", incomplete_details: { reason: "run_cancelled" } });
    expect(stored.incomplete_at).toBeGreaterThan(0);
    expect(textOf(stored).length).toBeGreaterThan(0);
    expect("Hello".startsWith(textOf(stored))).toBe(true);
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(step).toMatchObject({ status: "cancelled" });

    // The thread is free again.
    t.ollama.script({ text: "after" });
    await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "again" });
    const next = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: run.assistant_id }, poll);
    expect(next.status).toBe("completed");
  });

  it("cancelling closes the connection to the model: the fake stops sending", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const chunks = Array.from({ length: 80 }, (_, i) => ` w${i}`);
    t.ollama.script({ chunks, delayMs: 25 });
    const before = t.ollama.chunksSent;
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitFor(() => t.ollama.chunksSent - before >= 2, 5000, "the model to start streaming");
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    await waitForRun(t.client, thread.id, run.id, (r) => r.status === "cancelled");
    const sentAtCancel = t.ollama.chunksSent - before;
    await sleep(200);
    // At most the chunk already in flight; the rest are never sent (the fake saw the socket close).
    expect(t.ollama.chunksSent - before).toBeLessThanOrEqual(sentAtCancel + 1);
    expect(t.ollama.chunksSent - before).toBeLessThan(chunks.length);
  });

  it("a run waiting at requires_action is cancelled at once", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("requires_action");
    const cancelled = await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.required_action).toBeNull();
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(step).toMatchObject({ type: "tool_calls", status: "cancelled" });
  });

  it("cancelling a completed run (or twice) is a 400", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    const err = await sdkError(t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id }), OpenAI.BadRequestError);
    expect(err.error.message).toBe("Cannot cancel run with status 'completed'.");
  });
});

describe("runs: max_completion_tokens reached", () => {
  const app = useRunApp();

  it("done_reason length → run incomplete (max_completion_tokens), message incomplete (max_tokens)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: "This reply was cut", doneReason: "length", evalTokens: 256 });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_completion_tokens: 256 }, poll);
    expectRunSchema(run);
    expect(run).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_completion_tokens" } });
    expect(run.usage!.completion_tokens).toBe(256);
    expect(t.ollama.chatRequests[0]!.options!.num_predict).toBe(256);
    const [reply] = (await t.client.beta.threads.messages.list(thread.id)).data;
    expect(reply).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_tokens" }, completed_at: null });
    expect(textOf(reply!)).toBe("This reply was cut");
  });
});

describe("runs: one active run per thread", () => {
  const app = useRunApp();

  it("another run or a new message is refused while a run is active, in OpenAI's words", async () => {
    const t = app();
    const { assistant, thread, run } = await stalledRun(t);
    const expected = `Thread ${thread.id} already has an active run ${run.id}.`;
    const second = await sdkError(t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }), OpenAI.BadRequestError);
    expect(second.error.message).toBe(expected);
    const message = await sdkError(t.client.beta.threads.messages.create(thread.id, { role: "user", content: "more" }), OpenAI.BadRequestError);
    expect(message.error.message).toBe(expected);
    // Other threads are not blocked.
    const other = await t.client.beta.threads.create({ messages: [{ role: "user", content: "elsewhere" }] });
    const otherRun = await t.client.beta.threads.runs.createAndPoll(other.id, { assistant_id: assistant.id }, poll);
    expect(otherRun.status).toBe("completed");
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
  });

  it("a run waiting at requires_action also holds the thread", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: {} }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    const err = await sdkError(t.client.beta.threads.messages.create(thread.id, { role: "user", content: "x" }), OpenAI.BadRequestError);
    expect(err.error.message).toBe(`Thread ${thread.id} already has an active run ${run.id}.`);
  });
});

describe("runs: expiry", () => {
  const app = useRunApp({ RUN_EXPIRY_SECONDS: "1" });

  it("a run left at requires_action expires", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: {} }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("requires_action");
    const expired = await waitForRun(t.client, thread.id, run.id, (r) => r.status !== "requires_action", 4000);
    expectRunSchema(expired);
    expect(expired).toMatchObject({ status: "expired", required_action: null, expires_at: null });
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(step).toMatchObject({ status: "expired" });
    expect(step!.expired_at).toBeGreaterThan(0);
    // Outputs that come too late are refused; the thread is free.
    const id = run.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    await sdkError(
      t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: id, output: "late" }] }),
      OpenAI.BadRequestError,
    );
    await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "still there?" });
  });
});
