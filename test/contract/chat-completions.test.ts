/**
 * `POST /v1/chat/completions` through the openai SDK: a plain answer, streaming (the SDK's
 * chat.completions.stream accumulator and include_usage), tools and tool results round trip (parallel and
 * not), structured output through chat.completions.parse, options reaching Ollama, reasoning effort, and what
 * is refused. Checked against responses.openapi.json.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError } from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { sdkError } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { useRunApp, WEATHER_TOOL } from "../helpers/runs.js";

describe("chat completions", () => {
  const app = useRunApp({}, { models: ["llama3.2:3b", { name: "qwen3:8b", architecture: "qwen3", capabilities: ["completion", "tools", "thinking"] }, { name: "llava", capabilities: ["completion", "vision"] }] });

  it("answers, with usage and finish_reason, the messages reaching Ollama as they should", async () => {
    const t = app();
    t.ollama.script({ text: "Hello there." });
    const completion = await t.client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "Be kind." },
        { role: "user", content: [{ type: "text", text: "Say hello." }, { type: "text", text: "Keep it short." }] },
      ],
      temperature: 0.2,
      max_completion_tokens: 50,
      stop: ["END"],
      seed: 7,
    });
    expectMatchesResponsesSchema(completion, "CreateChatCompletionResponse");
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Hello there." } });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    const sent = t.ollama.chatRequests[0]!;
    expect(sent.messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "Say hello.\nKeep it short." }, // text parts one per line, as in responses
    ]);
    expect(sent.options).toMatchObject({ temperature: 0.2, num_predict: 50, stop: ["END"], seed: 7 });
  });

  it("streams through the SDK's accumulator, ending with the usage chunk when asked", async () => {
    const t = app();
    t.ollama.script({ chunks: ["Hel", "lo", "!"] });
    const stream = t.client.chat.completions.stream({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream_options: { include_usage: true } });
    const deltas: string[] = [];
    stream.on("content.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(deltas).toEqual(["Hel", "lo", "!"]);
    expect(final.choices[0]!.message.content).toBe("Hello!");
    expect(final.choices[0]!.finish_reason).toBe("stop");
    expect(final.usage?.completion_tokens).toBeGreaterThan(0);

    t.ollama.script({ text: "raw" });
    const res = await t.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x" }], stream: true }) });
    const text = await res.text();
    expect(text).not.toContain("event:");
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    for (const line of text.split("\n").filter((l) => l.startsWith("data: {"))) expectMatchesResponsesSchema(JSON.parse(line.slice(6)), "CreateChatCompletionStreamResponse");
  });

  it("tool calls come back as tool_calls, and tool results go to the model under the call's name", async () => {
    const t = app();
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }, { name: "get_weather", arguments: { city: "Bergen" } }] }, { text: "3 and 5 degrees." });
    const first = await t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Weather in Oslo and Bergen?" }], tools: [WEATHER_TOOL] });
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const calls = first.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => c.type === "function" && [c.function.name, c.function.arguments])).toEqual([
      ["get_weather", '{"city":"Oslo"}'],
      ["get_weather", '{"city":"Bergen"}'],
    ]);
    expect(t.ollama.chatRequests[0]!.tools?.map((tool) => tool.function.name)).toEqual(["get_weather"]);
    const second = await t.client.chat.completions.create({
      model: "gpt-4o",
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Weather in Oslo and Bergen?" },
        first.choices[0]!.message,
        { role: "tool", tool_call_id: calls[0]!.id, content: "3 C" },
        { role: "tool", tool_call_id: calls[1]!.id, content: "5 C" },
      ],
    });
    expect(second.choices[0]!.message.content).toBe("3 and 5 degrees.");
    expect(t.ollama.chatRequests[1]!.messages.slice(1)).toEqual([
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }, { function: { name: "get_weather", arguments: { city: "Bergen" } } }] },
      { role: "tool", content: "3 C", tool_name: "get_weather" },
      { role: "tool", content: "5 C", tool_name: "get_weather" },
    ]);
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "A" } }, { name: "get_weather", arguments: { city: "B" } }] });
    const one = await t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }], tools: [WEATHER_TOOL], parallel_tool_calls: false });
    expect(one.choices[0]!.message.tool_calls).toHaveLength(1);
  });

  it("structured output through chat.completions.parse; reasoning effort reaches a model that thinks, never the content", async () => {
    const t = app();
    t.ollama.script({ text: '{"city":"Oslo","degrees":3}' });
    const Weather = z.object({ city: z.string(), degrees: z.number() });
    const parsed = await t.client.chat.completions.parse({ model: "gpt-4o", messages: [{ role: "user", content: "x" }], response_format: zodResponseFormat(Weather, "weather") });
    expect(parsed.choices[0]!.message.parsed).toEqual({ city: "Oslo", degrees: 3 });
    expect(t.ollama.chatRequests[0]!.format).toMatchObject({ type: "object", properties: { city: { type: "string" } } });

    t.ollama.script({ thinking: "let me think", text: "42" });
    const answer = await t.client.chat.completions.create({ model: "qwen3", messages: [{ role: "user", content: "q" }], reasoning_effort: "high" });
    expect(answer.choices[0]!.message.content).toBe("42");
    expectMatchesResponsesSchema(answer, "CreateChatCompletionResponse");
    // The reasoning beside the content, never in it, and counted.
    expect((answer.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe("let me think");
    expect(answer.usage!.completion_tokens_details?.reasoning_tokens).toBe(3);
    expect(t.ollama.chatRequests[1]!.think).toBe(true);

    t.ollama.script({ thinking: "step by step", chunks: ["4", "2"] });
    const raw = await t.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "qwen3", messages: [{ role: "user", content: "q" }], stream: true }) });
    const deltas = (await raw.text()).split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)).choices[0]?.delta ?? {});
    expect(deltas.map((d) => d.reasoning_content).filter(Boolean).join("")).toBe("step by step");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("42");
  });

  it("a data: image goes to a vision model as an image, checked as runs check it; other images are named", async () => {
    const t = app();
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    t.ollama.script({ text: "a dot" });
    await t.client.chat.completions.create({
      model: "llava",
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } }, { type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }],
    });
    expect(t.ollama.chatRequests[0]!.messages[0]).toEqual({ role: "user", content: "What is this?\n[image https://example.com/cat.png]", images: [png] });
  });

  it("a prompt longer than the model's context is a 400 context_length_exceeded, never cut short by Ollama", async () => {
    const t = app();
    const long = "word ".repeat(8000); // about 13,000 tokens by the fitter's count; llama3.2 is planned at 8,192
    const err = await sdkError(t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: long }] }), BadRequestError);
    expect(err).toMatchObject({ param: "messages", code: "context_length_exceeded" });
    expect(err.message).toMatch(/maximum context length is 8192 tokens/);
    const withCompletion = await sdkError(t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "word ".repeat(4000) }], max_completion_tokens: 4000 }), BadRequestError);
    expect(withCompletion.message).toMatch(/in the completion/);
    expect(t.ollama.chatRequests).toHaveLength(0);
  });

  it("refuses n > 1, a tool result without its call, an unknown tool choice and an unknown model", async () => {
    const t = app();
    const base = { model: "gpt-4o", messages: [{ role: "user" as const, content: "x" }] };
    expect((await sdkError(t.client.chat.completions.create({ ...base, n: 2 }), BadRequestError)).param).toBe("n");
    expect((await sdkError(t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "tool", tool_call_id: "call_x", content: "y" }] }), BadRequestError)).param).toBe("messages[0].tool_call_id");
    expect((await sdkError(t.client.chat.completions.create({ ...base, tools: [WEATHER_TOOL], tool_choice: { type: "function", function: { name: "nope" } } }), BadRequestError)).param).toBe("tool_choice");
    expect((await sdkError(t.client.chat.completions.create({ ...base, model: "no-such-model" }), NotFoundError)).code).toBe("model_not_found");
    expect(t.ollama.chatRequests).toHaveLength(0);
  });
});
