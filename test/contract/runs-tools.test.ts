import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { sdkError } from "../helpers/contract.js";
import { expectRunSchema, seed, stepsOf, textOf, TIME_TOOL, useRunApp, WEATHER_TOOL } from "../helpers/runs.js";
import type { RunTestApp } from "../helpers/run-app.js";

const poll = { pollIntervalMs: 5 };
const weatherCall = { name: "get_weather", arguments: { city: "Paris" } };

/** A thread with one question and an assistant offering get_weather and get_time. */
async function toolSeed(t: RunTestApp, extra: Record<string, unknown> = {}) {
  return seed(t, "Weather in Paris?", { tools: [WEATHER_TOOL, TIME_TOOL], ...extra });
}

describe("runs: function calling", () => {
  const app = useRunApp();

  it("one call: requires_action → submit_tool_outputs → completed, the output reaching Ollama as a tool message", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [weatherCall], promptTokens: 30, evalTokens: 5 }, { text: "Sunny in Paris.", promptTokens: 40, evalTokens: 4 });
    const waiting = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expectRunSchema(waiting);
    expect(waiting.status).toBe("requires_action");
    expect(waiting.expires_at).toBeGreaterThan(waiting.created_at);
    const [call] = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(call).toEqual({ id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(t.ollama.chatRequests[0]!.tools!.map((x) => x.function.name)).toEqual(["get_weather", "get_time"]);
    expect(t.ollama.chatRequests[0]!.tools![0]).toEqual({ type: "function", function: WEATHER_TOOL.function });

    const [open] = await stepsOf(t.client, thread.id, waiting.id);
    expect(open).toMatchObject({ type: "tool_calls", status: "in_progress" });
    expect(open!.step_details).toEqual({ type: "tool_calls", tool_calls: [{ ...call, function: { ...call!.function, output: null } }] });

    const done = await t.client.beta.threads.runs.submitToolOutputsAndPoll(
      waiting.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: call!.id, output: "22°C, sunny" }] },
      poll,
    );
    expectRunSchema(done);
    expect(done.status).toBe("completed");
    expect(done.required_action).toBeNull();
    expect(done.usage).toEqual({ prompt_tokens: 70, completion_tokens: 9, total_tokens: 79 });

    const second = t.ollama.chatRequests[1]!.messages;
    expect(second.slice(-2)).toEqual([
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
      { role: "tool", content: "22°C, sunny", tool_name: "get_weather" },
    ]);
    const [toolStep, messageStep] = await stepsOf(t.client, thread.id, done.id);
    expect(toolStep).toMatchObject({ type: "tool_calls", status: "completed", usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 } });
    const stepCall = (toolStep!.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails).tool_calls[0] as OpenAI.Beta.Threads.Runs.FunctionToolCall;
    expect(stepCall.function.output).toBe("22°C, sunny");
    expect(messageStep).toMatchObject({ type: "message_creation", status: "completed", usage: { prompt_tokens: 40, completion_tokens: 4, total_tokens: 44 } });
    const [reply] = (await t.client.beta.threads.messages.list(thread.id)).data;
    expect(textOf(reply!)).toBe("Sunny in Paris.");
  });

  it("two parallel calls: both requested at once, both outputs sent back in call order", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [weatherCall, { name: "get_time", arguments: { city: "Tokyo" } }] }, { text: "Sunny; 9pm." });
    const waiting = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((c) => c.function.name)).toEqual(["get_weather", "get_time"]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    const done = await t.client.beta.threads.runs.submitToolOutputsAndPoll(
      waiting.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[1]!.id, output: "21:00" }, { tool_call_id: calls[0]!.id, output: "sunny" }] },
      poll,
    );
    expect(done.status).toBe("completed");
    expect(t.ollama.chatRequests[1]!.messages.slice(-3)).toEqual([
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }, { function: { name: "get_time", arguments: { city: "Tokyo" } } }],
      },
      { role: "tool", content: "sunny", tool_name: "get_weather" },
      { role: "tool", content: "21:00", tool_name: "get_time" },
    ]);
  });

  it("parallel_tool_calls: false keeps only the first call", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [weatherCall, { name: "get_time", arguments: {} }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, parallel_tool_calls: false }, poll);
    expect(run.parallel_tool_calls).toBe(false);
    expect(run.required_action!.submit_tool_outputs.tool_calls.map((c) => c.function.name)).toEqual(["get_weather"]);
  });

  it("wrong, missing and duplicate tool_call ids are 400s naming the param; the run keeps waiting", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [weatherCall, { name: "get_time", arguments: {} }] }, { text: "ok" });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    const [a, b] = run.required_action!.submit_tool_outputs.tool_calls.map((c) => c.id);
    const submit = (tool_outputs: { tool_call_id: string; output: string }[]) =>
      t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs });

    const wrong = await sdkError(submit([{ tool_call_id: a!, output: "x" }, { tool_call_id: "call_nope", output: "y" }]), OpenAI.BadRequestError);
    expect(wrong.error.param).toBe("tool_outputs[1].tool_call_id");
    expect(wrong.error.message).toContain("call_nope");
    const missing = await sdkError(submit([{ tool_call_id: a!, output: "x" }]), OpenAI.BadRequestError);
    expect(missing.error.param).toBe("tool_outputs");
    expect(missing.error.message).toContain(b!);
    const duplicate = await sdkError(submit([{ tool_call_id: a!, output: "x" }, { tool_call_id: a!, output: "x" }]), OpenAI.BadRequestError);
    expect(duplicate.error.param).toBe("tool_outputs[1].tool_call_id");
    const empty = await sdkError(submit([]), OpenAI.BadRequestError);
    expect(empty.error.param).toBe("tool_outputs");

    expect((await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe("requires_action");
    const done = await t.client.beta.threads.runs.submitToolOutputsAndPoll(
      run.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: a!, output: "x" }, { tool_call_id: b!, output: "y" }] },
      poll,
    );
    expect(done.status).toBe("completed");
  });

  it("submitting tool outputs to a completed run is a 400", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ text: "no tools needed" });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("completed");
    const err = await sdkError(
      t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: "call_x", output: "x" }] }),
      OpenAI.BadRequestError,
    );
    expect(err.error.message).toMatch(/completed/);
  });
});

describe("runs: tool calls written as JSON text", () => {
  const app = useRunApp();
  const json = '{"name":"get_weather","arguments":{"city":"Paris"}}';

  it.each([
    ["bare JSON", json],
    ["a ```json fence", "```json\n" + json + "\n```"],
    ["OpenAI's nested shape", '{"type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}'],
  ])("%s naming an offered function is treated as a call", async (_name, text) => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ chunks: [text.slice(0, 5), text.slice(5, 20), text.slice(20)] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("requires_action");
    const [call] = run.required_action!.submit_tool_outputs.tool_calls;
    expect(call!.function).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    // The JSON was held back, never shown as a reply.
    expect((await t.client.beta.threads.messages.list(thread.id)).data.map((m) => m.role)).toEqual(["user"]);
    expect((await stepsOf(t.client, thread.id, run.id)).map((s) => s.type)).toEqual(["tool_calls"]);
  });

  it("JSON naming a function that is not offered is a plain text reply", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    const other = '{"name":"launch_rockets","arguments":{}}';
    t.ollama.script({ text: other });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("completed");
    expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toBe(other);
  });

  it("JSON text when no tools are offered is a plain reply", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: json });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    expect(run.status).toBe("completed");
    expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toBe(json);
  });
});

describe("runs: tool_choice", () => {
  const app = useRunApp();
  const MUST_CALL = /must answer by calling/i;

  it("none: the model is offered no tools (the run keeps them)", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, tool_choice: "none" }, poll);
    expect(run).toMatchObject({ status: "completed", tool_choice: "none" });
    expect(run.tools).toHaveLength(2);
    expect(t.ollama.chatRequests[0]).not.toHaveProperty("tools");
  });

  it("required: tools plus a closing instruction that a call is required", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [weatherCall] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, tool_choice: "required" }, poll);
    expect(run.status).toBe("requires_action");
    const request = t.ollama.chatRequests[0]!;
    expect(request.tools).toHaveLength(2);
    expect(request.messages.at(-1)).toEqual({ role: "system", content: expect.stringMatching(MUST_CALL) });
  });

  it("a named function: only that tool is offered; after its output the model is free to answer", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    t.ollama.script({ toolCalls: [{ name: "get_time", arguments: {} }] }, { text: "It is noon." });
    const run = await t.client.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, tool_choice: { type: "function", function: { name: "get_time" } } },
      poll,
    );
    expectRunSchema(run);
    expect(run.tool_choice).toEqual({ type: "function", function: { name: "get_time" } });
    const first = t.ollama.chatRequests[0]!;
    expect(first.tools!.map((x) => x.function.name)).toEqual(["get_time"]);
    expect(first.messages.at(-1)!.content).toMatch(/get_time/);
    const id = run.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    const done = await t.client.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: id, output: "12:00" }] }, poll);
    expect(done.status).toBe("completed");
    const second = t.ollama.chatRequests[1]!;
    expect(second.messages.some((m) => m.role === "system" && MUST_CALL.test(m.content))).toBe(false);
  });

  it("a named function the run does not have is a 400 on tool_choice", async () => {
    const t = app();
    const { assistant, thread } = await toolSeed(t);
    const err = await sdkError(
      t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, tool_choice: { type: "function", function: { name: "nope" } } }),
      OpenAI.BadRequestError,
    );
    expect(err.error.param).toBe("tool_choice");
    expect((await t.client.beta.threads.runs.list(thread.id)).data).toEqual([]);
  });
});
