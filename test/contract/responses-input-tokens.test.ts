/**
 * POST /v1/responses/input_tokens through the SDK's `responses.inputTokens.count`: the tokens a create request
 * would send the model (instructions, previous_response_id chain, input, tool definitions), counted without
 * calling the model or storing anything; bad fields are 400s naming the field.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "openai";
import { sdkError } from "../helpers/contract.js";
import { useRunApp } from "../helpers/runs.js";

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather in a city, in degrees Celsius, with wind and rain.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

function rows(t: ReturnType<ReturnType<typeof useRunApp>>, table: string): number {
  return (t.services.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

describe("Responses API: input token counts", () => {
  const app = useRunApp();

  it("counts the input, growing with it, with instructions and with the tools offered", async () => {
    const t = app();
    const short = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Say hello" });
    expect(short).toEqual({ object: "response.input_tokens", input_tokens: expect.any(Number) });
    expect(short.input_tokens).toBeGreaterThan(0);

    const long = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Say hello ".repeat(300) });
    // About three characters a token: 3,000 characters are roughly a thousand tokens.
    expect(long.input_tokens).toBeGreaterThan(800);
    expect(long.input_tokens).toBeLessThan(1300);

    const instructed = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Say hello", instructions: "Answer in French, always politely." });
    expect(instructed.input_tokens).toBeGreaterThan(short.input_tokens);

    const withTools = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Say hello", tools: [WEATHER] });
    expect(withTools.input_tokens).toBeGreaterThan(short.input_tokens + 20);
    // tool_choice none offers no tools, so they are not counted.
    const none = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Say hello", tools: [WEATHER], tool_choice: "none" });
    expect(none.input_tokens).toBe(short.input_tokens);

    // Message items count as their text does.
    const asItems = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: [{ role: "user", content: [{ type: "input_text", text: "Say hello" }] }] });
    expect(asItems.input_tokens).toBe(short.input_tokens);
  });

  it("counts a previous_response_id chain, and neither calls the model nor stores anything", async () => {
    const t = app();
    t.ollama.script({ text: "A long reply that the next turn carries along with it. ".repeat(20) });
    const first = await t.client.responses.create({ model: "gpt-4o", input: "Tell me a story." });
    const calls = t.ollama.chatRequests.length;
    const stored = { responses: rows(t, "responses"), containers: rows(t, "containers") };

    const alone = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "And then?" });
    const chained = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "And then?", previous_response_id: first.id });
    expect(chained.input_tokens).toBeGreaterThan(alone.input_tokens + 250);
    // A code_interpreter with an auto container would make one on create; counting makes none.
    await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Sum 1 and 2", tools: [{ type: "code_interpreter", container: { type: "auto" } }] });

    expect(t.ollama.chatRequests).toHaveLength(calls);
    expect({ responses: rows(t, "responses"), containers: rows(t, "containers") }).toEqual(stored);
  });

  it("refuses unknown fields, a missing previous response and bad input with 400s naming the field", async () => {
    const t = app();
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "gpt-4o", input: "x", frobnicate: 1 }, "frobnicate"],
      [{ model: "gpt-4o", input: "x", previous_response_id: "resp_missing" }, "previous_response_id"],
      [{ model: "gpt-4o", input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
      [{ model: "gpt-4o", input: 42 }, "input"],
    ];
    for (const [body, param] of cases) {
      const err = await sdkError(t.client.responses.inputTokens.count(body as never), BadRequestError);
      expect(err.error.param, JSON.stringify(body)).toBe(param);
    }
  });
});
