import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import type { AssistantStream } from "openai/lib/AssistantStream";
import { seed, stepsOf, textOf, TIME_TOOL, useRunApp, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

type StreamEvent = OpenAI.Beta.Assistants.AssistantStreamEvent;

/** Records what the SDK's AssistantStream saw: every event, text deltas, and any error it raised. */
function watch(stream: AssistantStream) {
  const seen = { events: [] as StreamEvent[], deltas: [] as string[], errors: [] as unknown[] };
  stream.on("event", (e) => seen.events.push(e));
  stream.on("textDelta", (d) => seen.deltas.push(d.value ?? ""));
  stream.on("error", (err) => seen.errors.push(err));
  return seen;
}

describe("streaming through the SDK's AssistantStream", () => {
  const app = useRunApp();

  it("runs.stream(): text deltas join into the stored message; finalRun completed; finalMessages", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["The", " answer", " is", " 42."] });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const seen = watch(stream);
    const run = await stream.finalRun();
    expect(run.status).toBe("completed");
    expect(seen.errors).toEqual([]);
    expect(seen.deltas.join("")).toBe("The answer is 42.");
    const messages = await stream.finalMessages();
    expect(messages).toHaveLength(1);
    const stored = await t.client.beta.threads.messages.retrieve(messages[0]!.id, { thread_id: thread.id });
    expect(textOf(stored)).toBe("The answer is 42.");
    // finalMessages() is the SDK's own accumulated snapshot (status as first seen), not the final event.
    expect(messages[0]!.id).toBe(stored.id);
    expect(textOf(messages[0]!)).toBe(textOf(stored));
    expect(await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).toEqual(run);
  });

  it("createAndRunStream on a new thread: the first event is thread.created", async () => {
    const t = app();
    const assistant = await t.assistant();
    t.ollama.script({ text: "Hi there." });
    const stream = t.client.beta.threads.createAndRunStream({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "hi" }] } });
    const seen = watch(stream);
    const run = await stream.finalRun();
    expect(seen.errors).toEqual([]);
    expect(seen.events[0]!.event).toBe("thread.created");
    expect(seen.events[0]!.data).toEqual(await t.client.beta.threads.retrieve(run.thread_id));
    expect(seen.events[1]).toMatchObject({ event: "thread.run.created", data: { thread_id: run.thread_id } });
    expect(run.status).toBe("completed");
    expect(seen.deltas.join("")).toBe("Hi there.");
  });

  it("function calling round trip over streams (submitToolOutputsStream)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { chunks: ["Cold", " in", " Oslo."] });
    const first = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const seenFirst = watch(first);
    const created: OpenAI.Beta.Threads.Runs.ToolCall[] = [];
    const deltas: OpenAI.Beta.Threads.Runs.ToolCallDelta[] = [];
    const doneCalls: OpenAI.Beta.Threads.Runs.ToolCall[] = [];
    // Cloned: the SDK hands out its accumulating snapshot, which later deltas change.
    first.on("toolCallCreated", (call) => created.push(structuredClone(call)));
    first.on("toolCallDelta", (delta) => deltas.push(structuredClone(delta)));
    first.on("runStepDone", (step) => step.step_details.type === "tool_calls" && doneCalls.push(...step.step_details.tool_calls));
    const waiting = await first.finalRun();
    expect(waiting.status).toBe("requires_action");
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]!;
    // As the hosted API streamed it: created with the name and empty arguments, the arguments in a delta.
    expect(created).toEqual([{ index: 0, id: call.id, type: "function", function: { name: "get_weather", arguments: "", output: null } }]);
    expect(deltas).toEqual([{ index: 0, type: "function", function: { arguments: '{"city":"Oslo"}' } }]);
    const steps = await t.client.beta.threads.runs.steps.list(waiting.id, { thread_id: thread.id });
    const stored = steps.data[0]!.step_details.type === "tool_calls" ? steps.data[0]!.step_details.tool_calls : [];
    expect(stored).toEqual([{ id: call.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}', output: null } }]);
    expect(call.function.arguments).toBe('{"city":"Oslo"}');
    expect(doneCalls).toEqual([]); // the step stays open until the outputs arrive

    const second = t.client.beta.threads.runs.submitToolOutputsStream(waiting.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: "-3°C" }] });
    const seenSecond = watch(second);
    const done = await second.finalRun();
    expect([...seenFirst.errors, ...seenSecond.errors]).toEqual([]);
    expect(done.status).toBe("completed");
    expect(seenSecond.deltas.join("")).toBe("Cold in Oslo.");
    expect(t.ollama.chatRequests[1]!.messages.at(-1)).toEqual({ role: "tool", content: "-3°C", tool_name: "get_weather" });
  });

  it("parallel function calls stream one after the other; the SDK's snapshot equals the stored step (ids and arguments not doubled)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather and time?", { tools: [WEATHER_TOOL, TIME_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }, { name: "get_time", arguments: { city: "Lima" } }] });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const order: string[] = [];
    let snapshot: OpenAI.Beta.Threads.Runs.RunStep | undefined;
    stream.on("toolCallCreated", (c) => order.push(`created ${c.id}`));
    stream.on("toolCallDelta", (d) => order.push(`delta ${d.index}`));
    stream.on("toolCallDone", (c) => order.push(`done ${c.id}`));
    stream.on("runStepDelta", (_delta, step) => (snapshot = structuredClone(step)));
    const waiting = await stream.finalRun();
    const [a, b] = waiting.required_action!.submit_tool_outputs.tool_calls.map((c) => c.id);
    expect(order).toEqual([`created ${a}`, "delta 0", `done ${a}`, `created ${b}`, "delta 1", `done ${b}`]);
    if (!snapshot) throw new Error("no step delta reached the SDK");
    const stored = (await t.client.beta.threads.runs.steps.retrieve(snapshot.id, { thread_id: thread.id, run_id: waiting.id })).step_details;
    const withoutIndex = (calls: unknown) => JSON.parse(JSON.stringify(calls), (k, v: unknown) => (k === "index" ? undefined : v));
    expect(snapshot.step_details.type === "tool_calls" && withoutIndex(snapshot.step_details.tool_calls)).toEqual(stored.type === "tool_calls" && stored.tool_calls);
    expect(waiting.required_action!.submit_tool_outputs.tool_calls.map((c) => [c.function.name, c.function.arguments])).toEqual([
      ["get_weather", '{"city":"Oslo"}'],
      ["get_time", '{"city":"Lima"}'],
    ]);
  });

  it("event payloads equal what runs, steps and messages return afterwards", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Same", " objects"], promptTokens: 11, evalTokens: 2 });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const seen = watch(stream);
    const run = await stream.finalRun();
    const last = (name: string) => [...seen.events].reverse().find((e) => e.event === name)!.data;
    expect(last("thread.run.completed")).toEqual(await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }));
    const message = last("thread.message.completed") as OpenAI.Beta.Threads.Message;
    expect(message).toEqual(await t.client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id }));
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(last("thread.run.step.completed")).toEqual(step);
    expect(await t.client.beta.threads.runs.steps.retrieve(step!.id, { thread_id: thread.id, run_id: run.id })).toEqual(step);
  });

  it("tokens arrive incrementally: the first delta reaches the client before the model has finished", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const chunks = ["a", " b", " c", " d", " e", " f"];
    t.ollama.script({ chunks, delayMs: 40 });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const sentAtDelta: number[] = [];
    const before = t.ollama.chunksSent;
    stream.on("textDelta", () => sentAtDelta.push(t.ollama.chunksSent - before));
    await stream.finalRun();
    expect(sentAtDelta).toHaveLength(chunks.length);
    // The first delta reached the client while most of the reply was still to come (not all at the end).
    expect(sentAtDelta[0]).toBeLessThanOrEqual(3);
    expect(sentAtDelta.slice(0, -1).every((sent) => sent < chunks.length)).toBe(true);
  });

  it("a client that goes away mid-stream does not stop the run: it completes and stores the whole text", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Keep", " going", " without", " me."], delayMs: 20 });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    let runId = "";
    stream.on("runStepCreated", (step) => (runId = step.run_id));
    stream.on("textDelta", () => stream.abort());
    await stream.done().catch(() => undefined);
    expect(runId).not.toBe("");
    const run = await waitForRun(t.client, thread.id, runId);
    expect(run.status).toBe("completed");
    expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toBe("Keep going without me.");
    expect(t.services.runEvents.hasListeners(runId)).toBe(false);
  });

  it("cancelling a streamed run: the stream shows cancelling, the incomplete message and cancelled", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["never", " ends"], stallAfterChunks: 1 });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const seen = watch(stream);
    stream.once("textDelta", () => {
      const run = seen.events.find((e) => e.event === "thread.run.created")!.data as OpenAI.Beta.Threads.Run;
      void t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    });
    const run = await stream.finalRun();
    expect(seen.errors).toEqual([]);
    expect(run.status).toBe("cancelled");
    expect(seen.events.map((e) => e.event).slice(-4)).toEqual([
      "thread.run.cancelling",
      "thread.message.incomplete",
      "thread.run.step.cancelled",
      "thread.run.cancelled",
    ]);
  });

  it("a failed run streams to thread.run.failed and the SDK resolves finalRun without error", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["par", "tial"], errorLine: "boom" });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const seen = watch(stream);
    const run = await stream.finalRun();
    expect(seen.errors).toEqual([]);
    expect(run.status).toBe("failed");
    expect(run.last_error!.message).toContain("boom");
  });
});
