/**
 * What the server does with a model's `/api/show` capabilities, through the SDK on all three chat paths:
 * a model without `tools` (Ollama refuses a `tools` field for it, as the stand-in does) gets its tools
 * described in the prompt and its JSON-text answer read back as tool calls; a server that reports no
 * capabilities gets tools natively; a model that only embeds is refused with a message saying so.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "openai";
import { sdkError } from "../helpers/contract.js";
import { seed, useRunApp, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

const NO_TOOLS = "gemma2:2b";
const OLD_SERVER = "old-model";
const CALL_AS_TEXT = '{"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]}';

describe("capability fallbacks", () => {
  const app = useRunApp({}, {
    models: ["llama3.2:3b", { name: NO_TOOLS, capabilities: ["completion"] }, { name: OLD_SERVER, capabilities: null }],
    embeddingModels: ["nomic-embed-text"],
  });

  it("chat completions: a model without tools gets them in its prompt, and its JSON answer comes back as tool_calls", async () => {
    const t = app();
    t.ollama.script({ text: CALL_AS_TEXT }, { text: "It is sunny in Paris." });
    const first = await t.client.chat.completions.create({
      model: NO_TOOLS,
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris?" }],
      tools: [WEATHER_TOOL],
    });
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    const sent = t.ollama.chatRequests[0]!;
    expect(sent.tools).toBeUndefined();
    expect(sent.messages[0]!.role).toBe("system");
    expect(sent.messages[0]!.content).toMatch(/^Be brief\.\n\nYou can call tools/);
    expect(sent.messages[0]!.content).toContain('"name":"get_weather"');
    expect(sent.messages[0]!.content).toContain('"required":["city"]');

    const second = await t.client.chat.completions.create({
      model: NO_TOOLS,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        first.choices[0]!.message,
        { role: "tool", tool_call_id: call.id, content: "sunny, 21 C" },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(second.choices[0]!.message.content).toBe("It is sunny in Paris.");
    // The template has no tool role: the call is written as the JSON the model gave, the output as a user turn.
    const history = t.ollama.chatRequests[1]!.messages.slice(1);
    expect(history).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: CALL_AS_TEXT },
      { role: "user", content: "Output of the tool get_weather:\nsunny, 21 C" },
    ]);
    expect(t.ollama.chatRequests[1]!.tools).toBeUndefined();

    // The same history with no tools offered now: the tool turns still go as text, not as a role it cannot show.
    t.ollama.script({ text: "Sunny." });
    await t.client.chat.completions.create({
      model: NO_TOOLS,
      messages: [{ role: "user", content: "Weather in Paris?" }, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "sunny, 21 C" }],
    });
    expect(t.ollama.chatRequests[2]!.messages).toEqual(history);
  });

  it("runs and responses take the same fallback: requires_action and a function_call item", async () => {
    const t = app();
    t.ollama.script({ text: CALL_AS_TEXT });
    const { assistant, thread } = await seed(t, "Weather in Paris?", { model: NO_TOOLS, tools: [WEATHER_TOOL] });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const waiting = await waitForRun(t.client, thread.id, run.id);
    expect(waiting.status).toBe("requires_action");
    expect(waiting.required_action!.submit_tool_outputs.tool_calls[0]!.function).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(t.ollama.chatRequests[0]!.tools).toBeUndefined();

    t.ollama.script({ text: CALL_AS_TEXT });
    const response = await t.client.responses.create({
      model: NO_TOOLS,
      input: "Weather in Paris?",
      tools: [{ type: "function", name: "get_weather", parameters: WEATHER_TOOL.function.parameters, strict: false }],
    });
    expect(response.status).toBe("completed");
    expect(response.output).toMatchObject([{ type: "function_call", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(t.ollama.chatRequests[1]!.tools).toBeUndefined();
    expect(t.ollama.chatRequests[1]!.messages[0]!.content).toContain("You can call tools");
  });

  it("a server that reports no capabilities, or a model with tools, gets tools natively", async () => {
    const t = app();
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { toolCalls: [{ name: "get_weather", arguments: { city: "Rome" } }] });
    for (const model of [OLD_SERVER, "llama3.2:3b"]) {
      const c = await t.client.chat.completions.create({ model, messages: [{ role: "user", content: "Weather?" }], tools: [WEATHER_TOOL] });
      expect(c.choices[0]!.finish_reason).toBe("tool_calls");
    }
    expect(t.ollama.chatRequests.map((r) => r.tools?.length)).toEqual([1, 1]);
    expect(t.ollama.chatRequests.every((r) => !String(r.messages[0]!.content).includes("You can call tools"))).toBe(true);
  });

  it("an embedding-only model is refused by name: a 400 for chat completions, a failed run and response saying why", async () => {
    const t = app();
    const err = await sdkError(t.client.chat.completions.create({ model: "nomic-embed-text", messages: [{ role: "user", content: "hi" }] }), BadRequestError);
    expect(err).toMatchObject({ param: "model", code: "model_not_supported", type: "invalid_request_error" });
    expect(err.message).toMatch(/'nomic-embed-text' is an embedding model and cannot chat/);

    const { assistant, thread } = await seed(t, "hi", { model: "nomic-embed-text" });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const failed = await waitForRun(t.client, thread.id, run.id);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toMatchObject({ code: "invalid_prompt", message: expect.stringMatching(/embedding model and cannot chat/) });

    const response = await t.client.responses.create({ model: "nomic-embed-text", input: "hi" });
    expect(response.status).toBe("failed");
    expect(response.error?.message).toMatch(/embedding model and cannot chat/);
    expect(t.ollama.chatRequests).toHaveLength(0);
  });
});
