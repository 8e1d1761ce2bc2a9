/**
 * Models that think, through the openai SDK: the Responses API shows the model's reasoning as a `reasoning`
 * item (raw trace in `content`, streamed as reasoning_text events the SDK accumulates) before the reply, never
 * in output_text; `reasoning.effort` reaches Ollama as `think` (levels for gpt-oss, on/off for others, nothing
 * for a model that cannot think); the trace goes back to the model on later turns. Runs take reasoning_effort
 * from the run or its assistant the same way and keep the trace out of the message.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError } from "openai";
import { sdkError } from "../helpers/contract.js";
import { collectStream, expectEventsSchema, expectResponseSchema, itemEventTypes } from "../helpers/responses.js";
import { useRunApp, waitForRun } from "../helpers/runs.js";

const MODELS = [
  { name: "qwen3:8b", architecture: "qwen3", capabilities: ["completion", "tools", "thinking"] },
  { name: "gpt-oss:20b", architecture: "gptoss", capabilities: ["completion", "tools", "thinking"] },
  "llama3.2:3b", // what llama3.2 (the default model) runs as
];

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe("reasoning in responses", () => {
  const app = useRunApp({}, { models: MODELS });

  it("streams the reasoning as its own item before the reply; output_text holds only the reply", async () => {
    const t = app();
    t.ollama.script({ thinking: "The user greets me. I greet back.", text: "Hello there." });
    const { events, final } = await collectStream(t.client.responses.stream({ model: "qwen3", input: "hi" }));
    expectEventsSchema(events);
    expect(events.map((e) => e.type)).toEqual(["response.created", "response.in_progress", ...itemEventTypes(7, "reasoning_text"), ...itemEventTypes(2), "response.completed"]);
    const added = events[2] as unknown as { item: { type: string; id: string; status: string; summary: unknown[] } };
    expect(added.item).toMatchObject({ type: "reasoning", status: "in_progress", summary: [] });
    expect(added.item.id).toMatch(/^rs_/);

    expectResponseSchema(final);
    expect(final.output_text).toBe("Hello there.");
    expect(final.output).toHaveLength(2);
    expect(final.output[0]).toEqual({
      id: added.item.id,
      type: "reasoning",
      status: "completed",
      summary: [],
      content: [{ type: "reasoning_text", text: "The user greets me. I greet back." }],
    });
    expect(final.output[1]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "Hello there." }] });
    expect(final.usage!.output_tokens_details.reasoning_tokens).toBe(7);
    expect(final.usage!.output_tokens).toBe(9); // Ollama's eval_count counts the thinking too
    // No effort given: thinking is asked for explicitly, so Ollama keeps it apart from the reply.
    expect(t.ollama.chatRequests[0]!.think).toBe(true);

    const stored = await t.client.responses.retrieve(final.id);
    expect(stored.output[0]).toEqual(final.output[0]);
    expect(stored.output_text).toBe("Hello there.");
  });

  it("reasoning.effort becomes Ollama's think: on/off for qwen3, levels for gpt-oss, nothing for a model that cannot think", async () => {
    const t = app();
    const sent = async (model: string, effort?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max") => {
      t.ollama.script({ thinking: "hmm", text: "ok" });
      const r = await t.client.responses.create({ model, input: "q", ...(effort ? { reasoning: { effort } } : {}) });
      expect(r.status).toBe("completed");
      expect(r.reasoning).toEqual({ effort: effort ?? null, summary: null });
      return { think: t.ollama.chatRequests.at(-1)!.think, reasoned: r.output.some((o) => o.type === "reasoning") };
    };
    expect(await sent("qwen3", "none")).toEqual({ think: false, reasoned: false });
    expect(await sent("qwen3", "minimal")).toEqual({ think: false, reasoned: false });
    expect(await sent("qwen3", "low")).toEqual({ think: true, reasoned: true });
    expect(await sent("qwen3", "max")).toEqual({ think: true, reasoned: true });
    expect(await sent("gpt-oss:20b")).toEqual({ think: undefined, reasoned: true }); // its own default (medium)
    expect(await sent("gpt-oss:20b", "none")).toEqual({ think: "low", reasoned: true }); // gpt-oss cannot stop thinking
    expect(await sent("gpt-oss:20b", "minimal")).toEqual({ think: "low", reasoned: true });
    expect(await sent("gpt-oss:20b", "medium")).toEqual({ think: "medium", reasoned: true });
    expect(await sent("gpt-oss:20b", "high")).toEqual({ think: "high", reasoned: true });
    expect(await sent("gpt-oss:20b", "xhigh")).toEqual({ think: "high", reasoned: true });
    // The stand-in refuses think for a model without the capability, as Ollama does: none may be sent.
    expect(await sent("llama3.2", "high")).toEqual({ think: undefined, reasoned: false });
  });

  it("accepts reasoning.summary and echoes it (no summary is made); a bad effort is a 400 naming it", async () => {
    const t = app();
    t.ollama.script({ thinking: "hmm", text: "ok" });
    const r = await t.client.responses.create({ model: "qwen3", input: "q", reasoning: { effort: "low", summary: "auto" } });
    expect(r.reasoning).toEqual({ effort: "low", summary: "auto" });
    expect(r.output[0]).toMatchObject({ type: "reasoning", summary: [] });
    const err = await sdkError(t.client.responses.create({ model: "qwen3", input: "q", reasoning: { effort: "extreme" as "high" } }), BadRequestError);
    expect(err.param).toBe("reasoning.effort");
    expect(t.ollama.chatRequests).toHaveLength(1);
  });

  it("reasoning before a function call is its own item; the trace goes back to the model with that call", async () => {
    const t = app();
    t.ollama.script(
      { thinking: "I need the weather.", toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] },
      { thinking: "It is cold.", text: "3 degrees." },
    );
    const first = await t.client.responses.create({ model: "qwen3", input: "Weather in Oslo?", tools: [WEATHER] });
    expectResponseSchema(first);
    expect(first.output.map((o) => o.type)).toEqual(["reasoning", "function_call"]);
    const call = first.output[1] as { call_id: string };
    const second = await t.client.responses.create({
      model: "qwen3",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "3 C" }],
      tools: [WEATHER],
    });
    expect(second.output_text).toBe("3 degrees.");
    const assistant = t.ollama.chatRequests[1]!.messages.find((m) => m.role === "assistant")!;
    expect(assistant).toMatchObject({ content: "", thinking: "I need the weather.", tool_calls: [{ function: { name: "get_weather" } }] });
    // Reasoning items given back as input (managing the history by hand) are read the same way.
    t.ollama.script({ text: "fine" });
    await t.client.responses.create({
      model: "qwen3",
      input: [
        { role: "user", content: "Weather in Oslo?" },
        first.output[0] as OpenAI.Responses.ResponseReasoningItem,
        first.output[1] as OpenAI.Responses.ResponseFunctionToolCall,
        { type: "function_call_output", call_id: call.call_id, output: "3 C" },
      ],
      tools: [WEATHER],
    });
    expect(t.ollama.chatRequests[2]!.messages.find((m) => m.role === "assistant")).toMatchObject({ thinking: "I need the weather." });
    // After a final answer the trace is dropped: the next turn gets the answer without it.
    t.ollama.script({ text: "bye" });
    await t.client.responses.create({ model: "qwen3", previous_response_id: second.id, input: "thanks", tools: [WEATHER] });
    const answered = t.ollama.chatRequests[3]!.messages.filter((m) => m.role === "assistant");
    expect(answered.at(-1)).toMatchObject({ content: "3 degrees." });
    expect(answered.at(-1)!.thinking).toBeUndefined();
  });

  it("encrypted reasoning from another provider is refused, naming the field", async () => {
    const t = app();
    const err = await sdkError(
      t.client.responses.create({
        model: "qwen3",
        input: [{ type: "reasoning", id: "rs_x", summary: [], encrypted_content: "gAAAA..." }, { role: "user", content: "q" }],
      }),
      BadRequestError,
    );
    expect(err.param).toBe("input[0].encrypted_content");
    expect(t.ollama.chatRequests).toHaveLength(0);
  });

  it("a response that stops while the model is still reasoning ends that item incomplete", async () => {
    const t = app();
    t.ollama.script({ thinking: "one two three four", doneReason: "length" });
    const r = await t.client.responses.create({ model: "qwen3", input: "q", max_output_tokens: 16 });
    expect(r.status).toBe("incomplete");
    expect(r.output).toEqual([expect.objectContaining({ type: "reasoning", status: "incomplete", content: [{ type: "reasoning_text", text: "one two three four" }] })]);
    expect(r.output_text).toBe("");
  });
});

describe("reasoning_effort in runs", () => {
  const app = useRunApp({}, { models: MODELS });

  it("comes from the run, else its assistant; the trace never reaches the message", async () => {
    const t = app();
    const assistant = await t.client.beta.assistants.create({ model: "qwen3", reasoning_effort: "none" });
    expect((assistant as unknown as { reasoning_effort: string }).reasoning_effort).toBe("none");
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "hi" }] });

    t.ollama.script({ thinking: "never shown", text: "Hello." });
    const quiet = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect((await waitForRun(t.client, thread.id, quiet.id)).status).toBe("completed");
    expect(t.ollama.chatRequests.at(-1)!.think).toBe(false);

    t.ollama.script({ thinking: "secret thoughts", text: "Hi again." });
    const thoughtful = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, reasoning_effort: "high" });
    expect((await waitForRun(t.client, thread.id, thoughtful.id)).status).toBe("completed");
    expect(t.ollama.chatRequests.at(-1)!.think).toBe(true);
    const messages = await t.client.beta.threads.messages.list(thread.id, { run_id: thoughtful.id });
    expect(messages.data.map((m) => (m.content[0] as { text: { value: string } }).text.value)).toEqual(["Hi again."]);

    const updated = await t.client.beta.assistants.update(assistant.id, { reasoning_effort: "low" });
    expect((updated as unknown as { reasoning_effort: string }).reasoning_effort).toBe("low");
    const plain = await t.client.beta.assistants.create({ model: "llama3.2" });
    expect("reasoning_effort" in plain).toBe(false);
  });

  it("a gpt-oss assistant's effort is sent as its level; a model that cannot think gets none", async () => {
    const t = app();
    const oss = await t.client.beta.assistants.create({ model: "gpt-oss:20b", reasoning_effort: "minimal" });
    const llama = await t.client.beta.assistants.create({ model: "llama3.2", reasoning_effort: "high" });
    for (const [assistant, think] of [[oss, "low"], [llama, undefined]] as const) {
      t.ollama.script({ thinking: "x", text: "done" });
      const run = await t.client.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "q" }] } });
      expect((await waitForRun(t.client, run.thread_id, run.id)).status).toBe("completed");
      expect(t.ollama.chatRequests.at(-1)!.think).toBe(think);
    }
  });
});
