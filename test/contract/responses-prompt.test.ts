/**
 * Beyond the hosted API: `prompt: {id: "asst_..."}` uses a stored Assistant as the reusable prompt — its model,
 * instructions (with variables), tools and their resources (its vector stores, its code files), sampling,
 * response format and reasoning effort — through the openai SDK. What the request gives itself wins; bad
 * prompts are 400s naming the field.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError, toFile } from "openai";
import { sdkError } from "../helpers/contract.js";
import { callCode } from "../helpers/code-interpreter.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { storeOf, useVsApp } from "../helpers/vector-stores.js";

const WEATHER = {
  type: "function" as const,
  function: { name: "get_weather", description: "Weather in a city.", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

describe("an assistant as the prompt of a response", () => {
  const app = useVsApp({ SANDBOX_WORKERS: "1" });

  it("takes the assistant's model, instructions with variables filled in, tools, sampling and format", async () => {
    const t = app();
    const assistant = await t.client.beta.assistants.create({
      model: "gpt-4o-mini",
      instructions: "You help {{customer}} with {{ topic }}. Keep {{unknown}} as it is.",
      tools: [WEATHER],
      temperature: 0.3,
      top_p: 0.9,
      response_format: { type: "json_object" },
    });
    t.ollama.script({ text: '{"ok": true}' });
    const response = await t.client.responses.create({
      prompt: { id: assistant.id, variables: { customer: "Ada", topic: { type: "input_text", text: "billing" } } },
      input: "hi",
    });
    expectResponseSchema(response);
    expect(response.status).toBe("completed");
    expect(response.model).toBe("gpt-4o-mini");
    expect(response.instructions).toBe("You help Ada with billing. Keep {{unknown}} as it is.");
    expect(response.prompt).toEqual({ id: assistant.id, variables: { customer: "Ada", topic: { type: "input_text", text: "billing" } }, version: null });
    expect(response.tools).toEqual([{ type: "function", name: "get_weather", description: "Weather in a city.", parameters: WEATHER.function.parameters, strict: false }]);
    expect([response.temperature, response.top_p]).toEqual([0.3, 0.9]);
    expect(response.text?.format).toEqual({ type: "json_object" });

    const sent = t.ollama.chatRequests[0]!;
    expect(sent.messages[0]).toEqual({ role: "system", content: "You help Ada with billing. Keep {{unknown}} as it is." });
    expect(sent.tools?.map((tool) => tool.function.name)).toEqual(["get_weather"]);
    expect(sent.format).toBe("json");
    expect(sent.options).toMatchObject({ temperature: 0.3, top_p: 0.9 });
  });

  it("what the request gives itself wins over the assistant's", async () => {
    const t = app();
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o-mini", instructions: "Assistant's.", tools: [WEATHER], temperature: 0.3 });
    t.ollama.script({ text: "ok" });
    const response = await t.client.responses.create({ prompt: { id: assistant.id }, model: "gpt-4o", instructions: "Request's.", tools: [], temperature: 1.5, input: "hi" });
    expect([response.model, response.instructions, response.tools, response.temperature]).toEqual(["gpt-4o", "Request's.", [], 1.5]);
    expect(t.ollama.chatRequests[0]!.messages[0]).toEqual({ role: "system", content: "Request's." });
    expect(t.ollama.chatRequests[0]!.tools).toBeUndefined();
  });

  it("file_search searches the assistant's vector stores", async () => {
    const t = app();
    const { store, ids } = await storeOf(t);
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
    t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query: "Titan atmosphere" } }] }, { text: "Nitrogen [1]." });
    const response = await t.client.responses.create({ prompt: { id: assistant.id }, input: "What is Titan's atmosphere made of?" });
    expectResponseSchema(response);
    expect(response.tools).toEqual([{ type: "file_search", vector_store_ids: [store.id] }]);
    expect(response.output.map((o) => o.type)).toEqual(["file_search_call", "message"]);
    const text = (response.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText;
    expect(text.annotations).toEqual([expect.objectContaining({ type: "file_citation", file_id: ids["saturn.txt"] })]);
  });

  it("code_interpreter runs in a container holding the assistant's code files", async () => {
    const t = app();
    const notes = await t.client.files.create({ file: await toFile(Buffer.from("remember the milk"), "notes.txt"), purpose: "assistants" });
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", tools: [{ type: "code_interpreter" }], tool_resources: { code_interpreter: { file_ids: [notes.id] } } });
    t.ollama.script(callCode("console.log(files.readText('notes.txt'))"), { text: "It says to remember the milk." });
    const response = await t.client.responses.create({ prompt: { id: assistant.id }, input: "What do my notes say?", include: ["code_interpreter_call.outputs"] });
    expectResponseSchema(response);
    const call = response.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall;
    expect(call.type).toBe("code_interpreter_call");
    expect(call.outputs).toEqual([{ type: "logs", logs: expect.stringContaining("remember the milk") }]);
  });

  it("the assistant's reasoning effort reaches a model that thinks", async () => {
    const t = app();
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", reasoning_effort: "high" });
    t.ollama.script({ text: "ok" });
    const response = await t.client.responses.create({ prompt: { id: assistant.id }, input: "q" });
    expect(response.reasoning).toEqual({ effort: "high", summary: null });
  });

  it("refuses what cannot be a prompt, naming the field", async () => {
    const t = app();
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", instructions: "Hi {{name}}" });
    const param = async (body: Record<string, unknown>) =>
      (await sdkError(t.client.responses.create({ input: "q", ...body } as OpenAI.Responses.ResponseCreateParamsNonStreaming), BadRequestError)).param;
    expect(await param({ prompt: { id: "pmpt_abc" } })).toBe("prompt.id");
    expect(await param({ prompt: { id: "asst_missing" } })).toBe("prompt.id");
    expect(await param({ prompt: { id: assistant.id, version: "2" } })).toBe("prompt.version");
    expect(await param({ prompt: { id: assistant.id, variables: { name: { type: "input_image", image_url: "data:image/png;base64,AA==" } } } })).toBe("prompt.variables.name");
    expect(await param({})).toBe("model");
    expect(t.ollama.chatRequests).toHaveLength(0);
  });
});
