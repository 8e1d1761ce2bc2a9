/**
 * The Responses API through the openai SDK (responses.create / stream / parse, input_items, delete) against
 * the Ollama-protocol stand-in: text, multi-turn with previous_response_id and with the history as input,
 * function calls (parallel too), store:false, failures, and refusals of what is not served. Every object and
 * event is checked against responses.openapi.json.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError } from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { collectStream, expectEventsSchema, expectResponseSchema, itemEventTypes, parseResponsesSse } from "../helpers/responses.js";
import { useRunApp } from "../helpers/runs.js";

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe("Responses API: create, retrieve, input items, delete", () => {
  const app = useRunApp();

  it("answers a string input with a stored, completed response whose output_text is the model's reply", async () => {
    const t = app();
    t.ollama.script({ text: "Hello there, friend." });
    const response = await t.client.responses.create({ model: "gpt-4o", instructions: "Be kind.", input: "Say hello" });
    expectResponseSchema(response);
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Hello there, friend.");
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
    expect(response.completed_at).not.toBeNull();
    expect(t.ollama.chatRequests[0]!.messages).toEqual([
      { role: "system", content: "Be kind." },
      { role: "user", content: "Say hello" },
    ]);

    const again = await t.client.responses.retrieve(response.id);
    expectResponseSchema(again);
    expect(again).toEqual({ ...response, output_text: again.output_text });

    const items = await t.client.responses.inputItems.list(response.id);
    expectMatchesResponsesSchema(wireBody(items), "ResponseItemList");
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "Say hello" }] });

    await t.client.responses.delete(response.id);
    await sdkError(t.client.responses.delete(response.id), NotFoundError);
    await sdkError(t.client.responses.retrieve(response.id), NotFoundError);
    await sdkError(t.client.responses.inputItems.list(response.id), NotFoundError);
  });

  it("lists input items with cursors, newest first by default", async () => {
    const t = app();
    t.ollama.script({ text: "ok" });
    const input = ["one", "two", "three"].map((text) => ({ role: "user" as const, content: text }));
    const response = await t.client.responses.create({ model: "gpt-4o", input });
    const first = await t.client.responses.inputItems.list(response.id, { limit: 2 });
    expect(first.data.map((i) => (i as { content: { text: string }[] }).content[0]!.text)).toEqual(["three", "two"]);
    expect(first.has_more).toBe(true);
    const rest = await t.client.responses.inputItems.list(response.id, { limit: 2, after: first.data[1]!.id });
    expect(rest.data.map((i) => (i as { content: { text: string }[] }).content[0]!.text)).toEqual(["one"]);
    expect(rest.has_more).toBe(false);
    const asc = await t.client.responses.inputItems.list(response.id, { order: "asc" });
    expect(asc.data.map((i) => (i as { content: { text: string }[] }).content[0]!.text)).toEqual(["one", "two", "three"]);
  });

  it("continues with previous_response_id: prior input and output come first, prior instructions do not", async () => {
    const t = app();
    t.ollama.script({ text: "Paris." }, { text: "About two million." });
    const first = await t.client.responses.create({ model: "gpt-4o", instructions: "Answer briefly.", input: "Capital of France?" });
    const second = await t.client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "Its population?" });
    expectResponseSchema(second);
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toBe("About two million.");
    expect(t.ollama.chatRequests[1]!.messages).toEqual([
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "Paris." },
      { role: "user", content: "Its population?" },
    ]);
    // Only this response's own input is its input items.
    const items = await t.client.responses.inputItems.list(second.id);
    expect(items.data).toHaveLength(1);
  });

  it("takes the whole history as input items (earlier output given back, developer messages as system)", async () => {
    const t = app();
    t.ollama.script({ text: "Blue." });
    const response = await t.client.responses.create({
      model: "gpt-4o",
      input: [
        { role: "developer", content: "Use one word." },
        { role: "user", content: [{ type: "input_text", text: "Sky colour?" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Blue.", annotations: [] }] },
        { role: "user", content: "And the sea?" },
      ] as never,
    });
    expect(response.status).toBe("completed");
    expect(t.ollama.chatRequests[0]!.messages).toEqual([
      { role: "system", content: "Use one word." },
      { role: "user", content: "Sky colour?" },
      { role: "assistant", content: "Blue." },
      { role: "user", content: "And the sea?" },
    ]);
  });

  it("keeps nothing with store: false", async () => {
    const t = app();
    t.ollama.script({ text: "Not kept." });
    const response = await t.client.responses.create({ model: "gpt-4o", input: "hi", store: false });
    expectResponseSchema(response);
    expect((response as { store?: boolean }).store).toBe(false);
    expect(response.output_text).toBe("Not kept.");
    await sdkError(t.client.responses.retrieve(response.id), NotFoundError);
    const continued = await sdkError(t.client.responses.create({ model: "gpt-4o", input: "again", previous_response_id: response.id }), BadRequestError);
    expect(continued.error.param).toBe("previous_response_id");
  });
});

describe("Responses API: streaming", () => {
  const app = useRunApp();

  it("streams every event in the hosted order through the SDK's accumulator, ending as the stored response", async () => {
    const t = app();
    t.ollama.script({ chunks: ["Hel", "lo", " world"] });
    const { events, final } = await collectStream(t.client.responses.stream({ model: "gpt-4o", input: "greet" }));
    expectEventsSchema(events);
    expect(events.map((e) => e.type)).toEqual(["response.created", "response.in_progress", ...itemEventTypes(3), "response.completed"]);
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => (e as unknown as { delta: string }).delta)).toEqual(["Hel", "lo", " world"]);
    expect(final.output_text).toBe("Hello world");
    const stored = await t.client.responses.retrieve(final.id);
    expect(stored.output).toEqual((events.at(-1) as unknown as { response: { output: unknown } }).response.output);
    expect(stored.status).toBe("completed");
  });

  it("names each SSE event by its type and ends with a bare data: [DONE]", async () => {
    const t = app();
    t.ollama.script({ text: "ok then" });
    const res = await t.request("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", input: "x", stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const blocks = parseResponsesSse(await res.text());
    for (const block of blocks.slice(0, -1)) expect(block.event).toBe((JSON.parse(block.data) as { type: string }).type);
    expect(blocks.at(-2)!.event).toBe("response.completed");
  });

  it("streams a function call as item added, arguments delta and done, item done", async () => {
    const t = app();
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] });
    const stream = t.client.responses.stream({ model: "gpt-4o", input: "weather in Oslo?", tools: [WEATHER] });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    expectEventsSchema(events);
    expect(events.map((e) => e.type).slice(2)).toEqual([
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"Oslo"}', status: "completed" });
  });

  it("ends a stream whose model fails mid-reply with response.failed carrying the error", async () => {
    const t = app();
    t.ollama.script({ chunks: ["partial"], errorLine: "model runner crashed" });
    const stream = t.client.responses.stream({ model: "gpt-4o", input: "go" });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    expectEventsSchema(events);
    const failed = events.at(-1) as unknown as { type: string; response: { status: string; error: { code: string; message: string }; output: { status: string }[] } };
    expect(failed.type).toBe("response.failed");
    expect(failed.response.status).toBe("failed");
    expect(failed.response.error.message).toMatch(/crashed/);
    expect(failed.response.output[0]!.status).toBe("incomplete");
  });
});

describe("Responses API: function calls", () => {
  const app = useRunApp();

  it("round-trips a function call: function_call item, then function_call_output with previous_response_id", async () => {
    const t = app();
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "It is 3 degrees in Oslo." });
    const first = await t.client.responses.create({ model: "gpt-4o", input: "Weather in Oslo?", tools: [WEATHER] });
    expectResponseSchema(first);
    expect(first.status).toBe("completed");
    const call = first.output[0]!;
    if (call.type !== "function_call") throw new Error(`expected a function_call, got ${call.type}`);
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toEqual({ city: "Oslo" });
    expect(t.ollama.chatRequests[0]!.tools?.map((x) => x.function.name)).toEqual(["get_weather"]);

    const second = await t.client.responses.create({
      model: "gpt-4o",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"celsius":3}' }],
      tools: [WEATHER],
    });
    expect(second.output_text).toBe("It is 3 degrees in Oslo.");
    expect(t.ollama.chatRequests[1]!.messages.slice(1)).toEqual([
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }] },
      { role: "tool", content: '{"celsius":3}', tool_name: "get_weather" },
    ]);
  });

  it("returns parallel calls as separate items, and only the first with parallel_tool_calls: false", async () => {
    const t = app();
    const calls = [
      { name: "get_weather", arguments: { city: "Oslo" } },
      { name: "get_weather", arguments: { city: "Rome" } },
    ];
    t.ollama.script({ toolCalls: calls }, { toolCalls: calls });
    const both = await t.client.responses.create({ model: "gpt-4o", input: "Oslo and Rome?", tools: [WEATHER] });
    expect(both.output.map((o) => o.type)).toEqual(["function_call", "function_call"]);
    expect(new Set(both.output.map((o) => (o as { call_id: string }).call_id)).size).toBe(2);
    const one = await t.client.responses.create({ model: "gpt-4o", input: "Oslo and Rome?", tools: [WEATHER], parallel_tool_calls: false });
    expect(one.output).toHaveLength(1);
    expect(one.parallel_tool_calls).toBe(false);
  });

  it("offers no tools with tool_choice none, and only the named one with a function choice", async () => {
    const t = app();
    const time = { ...WEATHER, name: "get_time", description: "Local time." };
    t.ollama.script({ text: "a" }, { text: "b" });
    await t.client.responses.create({ model: "gpt-4o", input: "x", tools: [WEATHER, time], tool_choice: "none" });
    await t.client.responses.create({ model: "gpt-4o", input: "x", tools: [WEATHER, time], tool_choice: { type: "function", name: "get_time" } });
    expect(t.ollama.chatRequests[0]!.tools).toBeUndefined();
    expect(t.ollama.chatRequests[1]!.tools?.map((x) => x.function.name)).toEqual(["get_time"]);
  });

  it("refuses a function_call_output whose call is nowhere in the history", async () => {
    const t = app();
    const err = await sdkError(
      t.client.responses.create({ model: "gpt-4o", input: [{ type: "function_call_output", call_id: "call_nope", output: "1" }] }),
      BadRequestError,
    );
    expect(err.error.message).toMatch(/call_nope/);
  });
});

describe("Responses API: output formats, limits and failures", () => {
  const app = useRunApp();

  it("parses json_schema output with responses.parse and sends the schema as Ollama's format", async () => {
    const t = app();
    t.ollama.script({ text: '{"city":"Oslo","celsius":3}' });
    const Weather = z.object({ city: z.string(), celsius: z.number() });
    const parsed = await t.client.responses.parse({ model: "gpt-4o", input: "weather", text: { format: zodTextFormat(Weather, "weather") } });
    expect(parsed.output_parsed).toEqual({ city: "Oslo", celsius: 3 });
    expect(t.ollama.chatRequests[0]!.format).toMatchObject({ type: "object", properties: { city: { type: "string" } } });
  });

  it("ends incomplete (max_output_tokens) when the model stops at the limit", async () => {
    const t = app();
    t.ollama.script({ text: "a long story", doneReason: "length" });
    const response = await t.client.responses.create({ model: "gpt-4o", input: "tell", max_output_tokens: 16 });
    expectResponseSchema(response);
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(t.ollama.chatRequests[0]!.options?.num_predict).toBe(16);
  });

  it("answers a model failure with HTTP 200 and a stored failed response saying what to do", async () => {
    const t = app();
    t.ollama.script({ httpStatus: 404, error: "model 'llama3.2:3b' not found, try pulling it first" });
    const response = await t.client.responses.create({ model: "gpt-4o", input: "hi" });
    expectResponseSchema(response);
    expect(response.status).toBe("failed");
    expect(response.error?.message).toMatch(/pull/);
    expect((await t.client.responses.retrieve(response.id)).status).toBe("failed");
  });

  it("refuses unknown fields, what is not served yet and a missing previous response with 400s naming the field", async () => {
    const t = app();
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "gpt-4o", input: "x", frobnicate: 1 }, "frobnicate"],
      [{ model: "gpt-4o", input: "x", background: true, store: false }, "background"],
      [{ model: "gpt-4o", input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
      [{ model: "gpt-4o", input: "x", previous_response_id: "resp_missing" }, "previous_response_id"],
      [{ model: "gpt-4o" }, "input"],
      [{ model: "gpt-4o", input: [{ role: "user", content: [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }] }] }, "input[0].content[0].image_url"],
    ];
    for (const [body, param] of cases) {
      const err = await sdkError(t.client.responses.create(body as never), BadRequestError);
      expect(err.error.param, JSON.stringify(body)).toBe(param);
    }
    expect(t.ollama.chatRequests).toHaveLength(0);
  });
});

describe("Responses API: fitting the context", () => {
  const small = useRunApp({}, { contextLength: 512 });

  it("fails with a clear error when the input does not fit and truncation is disabled, and drops the oldest with auto", async () => {
    const t = small();
    const long = "word ".repeat(400);
    t.ollama.script({ text: "fits" });
    const input = [
      { role: "user" as const, content: long },
      { role: "assistant" as const, content: "noted" },
      { role: "user" as const, content: "short question" },
    ];
    const refused = await t.client.responses.create({ model: "tiny:1b", input });
    expect(refused.status).toBe("failed");
    expect(refused.error?.message).toMatch(/context window/);
    const auto = await t.client.responses.create({ model: "tiny:1b", input, truncation: "auto" });
    expect(auto.status).toBe("completed");
    // The oldest turn went; what follows it fits.
    expect(t.ollama.chatRequests.at(-1)!.messages).toEqual([
      { role: "assistant", content: "noted" },
      { role: "user", content: "short question" },
    ]);
  });
});
