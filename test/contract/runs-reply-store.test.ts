/**
 * When a run's reply (its message_creation step and message) reaches the store. A run a client streams stores
 * it at the first token, before `thread.message.created` goes out, and streams every delta. A run only polled
 * stores it with its first stored text (at most 100 ms after its first token), or as it ends, if sooner: in one
 * commit with the run's end (src/runs/model-turn.ts). Either way, pollers see what the hosted API showed them.
 */
import { describe, expect, it } from "vitest";
import { seed, sleep, stepsOf, textOf, useRunApp, waitFor, waitForRun } from "../helpers/runs.js";

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
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Hel", "lo"], stallAfterChunks: 2 });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const message = await waitFor(async () => {
      const [m] = (await t.client.beta.threads.messages.list(thread.id)).data;
      return m?.role === "assistant" && textOf(m) === "Hello" ? m : null;
    }, 5000, "the reply so far");
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
});
