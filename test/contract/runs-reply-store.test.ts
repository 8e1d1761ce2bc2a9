/**
 * When a run's reply (its message_creation step and message) reaches the store. A run a client streams stores
 * it before `thread.message.created` goes out, and streams every delta; a turn offered no tools stores it as
 * the model call starts, unannounced until the first token, and takes it back if no text comes. A run only
 * polled stores it with its first stored text (at most 100 ms after its first token), or as it ends, if sooner:
 * in one commit with the run's end (src/runs/model-turn.ts). Either way, pollers see what the hosted API showed
 * them, and no turn without text leaves an empty message behind.
 */
import { describe, expect, it } from "vitest";
import type { AssistantStream } from "openai/lib/AssistantStream";
import type { RunTestApp } from "../helpers/run-app.js";
import { seed, sleep, stalledRun, stepsOf, textOf, useRunApp, waitFor, waitForReply, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

/** The names of the events a stream delivers, as they come. */
function eventNames(stream: AssistantStream): string[] {
  const names: string[] = [];
  stream.on("event", (e) => names.push(e.event));
  return names;
}

/** The thread's assistant messages and the run's steps, as a client lists them. */
async function repliesAndSteps(t: RunTestApp, threadId: string, runId: string) {
  const replies = (await t.client.beta.threads.messages.list(threadId)).data.filter((m) => m.role === "assistant");
  return { replies, steps: await stepsOf(t.client, threadId, runId) };
}

describe("runs: when a reply is stored", () => {
  const app = useRunApp();

  it("streamed: message.created comes before its text, can be read back as it comes, and every delta is streamed", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    // Two chunks, then the model goes silent: a reply stored only later would come out in one piece, no deltas.
    t.ollama.script({ chunks: ["Hel", "lo"], stallAfterChunks: 2 });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const readBack: Promise<unknown>[] = [];
    let createdContent: unknown[] | undefined;
    stream.on("messageCreated", (m) => {
      createdContent = [...m.content];
      readBack.push(t.client.beta.threads.messages.retrieve(m.id, { thread_id: thread.id }));
    });
    let streamed = "";
    await new Promise<void>((resolve) => {
      const giveUp = setTimeout(resolve, 5000);
      stream.on("textDelta", (d) => {
        streamed += d.value ?? "";
        if (streamed === "Hello") resolve(clearTimeout(giveUp));
      });
    });
    expect(streamed).toBe("Hello");
    expect(createdContent).toEqual([]);
    const [stored] = (await Promise.all(readBack)) as { status: string; role: string }[];
    expect(stored).toMatchObject({ status: "in_progress", role: "assistant" });
    const run = stream.currentRun()!;
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    await stream.done().catch(() => undefined);
  });

  it("polled, the model pausing mid-reply: the step and the message show in_progress with the text so far", async () => {
    const t = app();
    const { thread, run } = await stalledRun(t);
    const message = await waitForReply(t, thread.id, (text) => text === "Hello", "the reply so far");
    expect(message).toMatchObject({ status: "in_progress", run_id: run.id, completed_at: null });
    const steps = await stepsOf(t.client, thread.id, run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ type: "message_creation", status: "in_progress", step_details: { message_creation: { message_id: message.id } } });

    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    await waitForRun(t.client, thread.id, run.id, (r) => r.status === "cancelled");
    const ended = await t.client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    expect(ended).toMatchObject({ status: "incomplete", incomplete_details: { reason: "run_cancelled" } });
    expect(textOf(ended)).toBe("Hello");
    expect((await stepsOf(t.client, thread.id, run.id)).map((s) => s.status)).toEqual(["cancelled"]);
  });

  it("polled, the thread deleted while the model pauses before the reply was stored: no step or message outlives it", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Hel", "lo"], stallAfterChunks: 2 });
    const before = t.ollama.chunksSent;
    await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitFor(() => t.ollama.chunksSent >= before + 2, 5000, "the model's two chunks");
    await t.client.beta.threads.delete(thread.id);
    await sleep(250); // past the reply's first store (100 ms), had its run lived
    expect(t.services.repos.messages.all({ thread_id: thread.id })).toEqual([]);
    expect(t.services.repos.steps.all({ thread_id: thread.id })).toEqual([]);
  });

  it("polled, a reply that ends at once: one step and one message, both stored completed, as the stream would end them", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["The answer", " is 42."], promptTokens: 11, evalTokens: 4 });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.status).toBe("completed");
    const replies = (await t.client.beta.threads.messages.list(thread.id)).data.filter((m) => m.role === "assistant");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ status: "completed", run_id: run.id, assistant_id: assistant.id, incomplete_details: null });
    expect(textOf(replies[0]!)).toBe("The answer is 42.");
    expect(replies[0]!.completed_at).toBeGreaterThanOrEqual(replies[0]!.created_at);
    const steps = await stepsOf(t.client, thread.id, run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      type: "message_creation",
      status: "completed",
      step_details: { message_creation: { message_id: replies[0]!.id } },
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
    });
    expect(steps[0]!.completed_at).toBeGreaterThanOrEqual(steps[0]!.created_at);
  });

  it("streamed, no tools offered: the reply is stored while the model reads the prompt, announced only at its first token", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Hi", " there"], delayMs: 300 }); // 300 ms before each chunk: the prompt being read
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const names = eventNames(stream);
    const early = await waitForReply(t, thread.id, () => true, "the reply stored before the first token");
    expect(early).toMatchObject({ status: "in_progress", content: [] });
    expect(names).not.toContain("thread.message.created");
    expect(names).not.toContain("thread.run.step.created");
    const run = await stream.finalRun();
    expect(run.status).toBe("completed");
    // Announced as before: step, then message, then the text, from the first token on.
    const opened = names.indexOf("thread.run.step.created");
    expect(names.slice(opened, opened + 5)).toEqual([
      "thread.run.step.created",
      "thread.run.step.in_progress",
      "thread.message.created",
      "thread.message.in_progress",
      "thread.message.delta",
    ]);
    const { replies, steps } = await repliesAndSteps(t, thread.id, run.id);
    expect(replies.map((m) => [m.id, m.status, textOf(m)])).toEqual([[early.id, "completed", "Hi there"]]);
    expect(steps.map((s) => [s.type, s.status])).toEqual([["message_creation", "completed"]]);
  });

  it("streamed, no tools offered, cancelled before the first token: the early reply is taken back, no empty message is left", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ hang: true });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const names = eventNames(stream);
    await waitForReply(t, thread.id, () => true, "the early reply");
    const runId = stream.currentRun()!.id;
    await t.client.beta.threads.runs.cancel(runId, { thread_id: thread.id });
    await waitForRun(t.client, thread.id, runId, (r) => r.status === "cancelled");
    await stream.done().catch(() => undefined);
    expect(await repliesAndSteps(t, thread.id, runId)).toEqual({ replies: [], steps: [] });
    expect(names.filter((n) => n.startsWith("thread.message") || n.startsWith("thread.run.step"))).toEqual([]);
  });

  it("streamed, no tools offered, the model failing before any text: the run fails and no empty message or step is left", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: [], errorLine: "the model crashed" });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const names = eventNames(stream);
    const run = await stream.finalRun();
    expect(run.status).toBe("failed");
    expect(run.last_error?.message).toContain("the model crashed");
    expect(await repliesAndSteps(t, thread.id, run.id)).toEqual({ replies: [], steps: [] });
    expect(names).not.toContain("thread.message.created");
  });

  it("streamed, no tools offered, a model that answers nothing: the run completes with no message, as when polled", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: [] });
    t.ollama.script({ chunks: [] });
    const streamed = await t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
    const polled = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    for (const run of [streamed, polled]) {
      expect(run.status).toBe("completed");
      expect(await repliesAndSteps(t, thread.id, run.id)).toEqual({ replies: [], steps: [] });
    }
  });

  it("streamed, tools offered: nothing is stored before the first token (the turn may call a tool instead)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ stallAfterChunks: 0 }); // headers, then silence: the model still reading the prompt
    const chats = () => t.ollama.requests.filter((r) => r.path === "/api/chat").length;
    const before = chats();
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    await waitFor(() => stream.currentRun()?.status === "in_progress" && chats() > before, 5000, "the model call");
    await sleep(50);
    const runId = stream.currentRun()!.id;
    expect(await repliesAndSteps(t, thread.id, runId)).toEqual({ replies: [], steps: [] });
    await t.client.beta.threads.runs.cancel(runId, { thread_id: thread.id });
    await stream.done().catch(() => undefined);
  });
});
