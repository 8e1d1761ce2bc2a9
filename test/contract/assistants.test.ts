import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import type { AssistantCreateParams } from "openai/resources/beta/assistants";
import { sdkError, useTestApp, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";

const fullParams: AssistantCreateParams = {
  model: "gpt-4-1106-preview",
  name: "Data analyst",
  description: "Answers questions about spreadsheets.",
  instructions: "You are a careful data analyst. Show your working.",
  tools: [
    { type: "code_interpreter" },
    {
      type: "file_search",
      file_search: { max_num_results: 7, ranking_options: { ranker: "auto", score_threshold: 0.25 } },
    },
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Current weather for a city.",
        parameters: {
          type: "object",
          properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
          required: ["city", "unit"],
          additionalProperties: false,
        },
        strict: true,
      },
    },
  ],
  metadata: { team: "finance", "ticket-id": "FIN-42" },
  temperature: 0.2,
  top_p: 0.9,
  response_format: {
    type: "json_schema",
    json_schema: {
      name: "answer",
      description: "A short answer with a confidence.",
      schema: {
        type: "object",
        properties: { answer: { type: "string" }, confidence: { type: "number" } },
        required: ["answer", "confidence"],
        additionalProperties: false,
      },
      strict: true,
    },
  },
};

describe("assistants", () => {
  const app = useTestApp();

  it("creates an assistant with every field and echoes each one back", async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await app().client.beta.assistants.create(fullParams);
    expectMatchesSchema(a, "AssistantObject");
    expect(a.id).toMatch(/^asst_[0-9A-Za-z]{24}$/);
    expect(a.object).toBe("assistant");
    expect(a.created_at).toBeGreaterThanOrEqual(before);
    expect(a.created_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(a).toMatchObject({
      model: "gpt-4-1106-preview",
      name: fullParams.name,
      description: fullParams.description,
      instructions: fullParams.instructions,
      tools: fullParams.tools,
      metadata: fullParams.metadata,
      temperature: 0.2,
      top_p: 0.9,
      response_format: fullParams.response_format,
    });
  });

  it("fills the hosted API's defaults when only the model is given", async () => {
    const a = await app().client.beta.assistants.create({ model: "gpt-4o" });
    expectMatchesSchema(a, "AssistantObject");
    expect(a).toMatchObject({
      model: "gpt-4o",
      name: null,
      description: null,
      instructions: null,
      tools: [],
      metadata: {},
      temperature: 1,
      top_p: 1,
      response_format: "auto",
    });
  });

  it("fills tool defaults: file_search ranking options, function parameters and strict", async () => {
    const a = await app().client.beta.assistants.create({
      model: "gpt-4o",
      tools: [{ type: "file_search" }, { type: "function", function: { name: "ping" } }],
    });
    expectMatchesSchema(a, "AssistantObject");
    expect(a.tools[0]).toEqual({
      type: "file_search",
      file_search: { ranking_options: { ranker: "default_2024_08_21", score_threshold: 0 } },
    });
    expect(a.tools[1]).toEqual({
      type: "function",
      function: { name: "ping", parameters: { type: "object", properties: {} }, strict: false },
    });
  });

  it.each(["gpt-4-1106-preview", "gpt-3.5-turbo", "llama3.2:3b", "my-own/model:latest"])(
    "keeps the model name %s exactly as given",
    async (model) => {
      const { client } = app();
      const a = await client.beta.assistants.create({ model });
      expect(a.model).toBe(model);
      expect((await client.beta.assistants.retrieve(a.id)).model).toBe(model);
    },
  );

  it("accepts the simpler response formats", async () => {
    const { client } = app();
    for (const response_format of ["auto", { type: "text" }, { type: "json_object" }] as const) {
      const a = await client.beta.assistants.create({ model: "gpt-4o", response_format });
      expectMatchesSchema(a, "AssistantObject");
      expect(a.response_format).toEqual(response_format);
    }
  });

  it("retrieves exactly what create returned", async () => {
    const { client } = app();
    const created = await client.beta.assistants.create(fullParams);
    const got = await client.beta.assistants.retrieve(created.id);
    expectMatchesSchema(got, "AssistantObject");
    expect(got).toEqual(created);
  });

  it("updates only the fields sent; the others keep their values", async () => {
    const { client } = app();
    const created = await client.beta.assistants.create(fullParams);
    const updated = await client.beta.assistants.update(created.id, {
      name: "Renamed",
      metadata: { team: "ops" },
      temperature: 1.5,
    });
    expectMatchesSchema(updated, "AssistantObject");
    expect(updated).toEqual({ ...created, name: "Renamed", metadata: { team: "ops" }, temperature: 1.5 });
    expect(await client.beta.assistants.retrieve(created.id)).toEqual(updated);
  });

  it("clears nullable fields sent as null", async () => {
    const { client } = app();
    const created = await client.beta.assistants.create(fullParams);
    const updated = await client.beta.assistants.update(created.id, {
      name: null,
      description: null,
      instructions: null,
      metadata: null,
    });
    expectMatchesSchema(updated, "AssistantObject");
    expect(updated.name).toBeNull();
    expect(updated.description).toBeNull();
    expect(updated.instructions).toBeNull();
    expect(updated.metadata).toEqual({});
    expect(updated.model).toBe(created.model);
    expect(updated.tools).toEqual(created.tools);
    expect(await client.beta.assistants.retrieve(created.id)).toEqual(updated);
  });

  it("replaces tools, model and response_format on update", async () => {
    const { client } = app();
    const created = await client.beta.assistants.create(fullParams);
    const updated = await client.beta.assistants.update(created.id, {
      model: "gpt-4o-mini",
      tools: [{ type: "code_interpreter" }],
      response_format: { type: "json_object" },
    });
    expectMatchesSchema(updated, "AssistantObject");
    expect(updated).toMatchObject({ model: "gpt-4o-mini", tools: [{ type: "code_interpreter" }], response_format: { type: "json_object" } });
    expect(updated.name).toBe(created.name);
    expect(updated.created_at).toBe(created.created_at);
  });

  it("an empty update changes nothing", async () => {
    const { client } = app();
    const created = await client.beta.assistants.create(fullParams);
    expect(await client.beta.assistants.update(created.id, {})).toEqual(created);
  });

  it("lists assistants newest first by default", async () => {
    const { client } = app();
    const first = await client.beta.assistants.create({ model: "gpt-4o", name: "first" });
    const second = await client.beta.assistants.create({ model: "gpt-4o", name: "second" });
    const page = await client.beta.assistants.list();
    expectMatchesSchema(wireBody(page), "ListAssistantsResponse");
    expect(page.data.map((a) => a.id)).toEqual([second.id, first.id]);
    expect(page.data[0]).toEqual(second);
    expect(wireBody(page)).toMatchObject({ object: "list", first_id: second.id, last_id: first.id, has_more: false });
  });

  it("lists nothing when there are no assistants", async () => {
    const page = await app().client.beta.assistants.list();
    expectMatchesSchema(wireBody(page), "ListAssistantsResponse");
    expect(page.data).toEqual([]);
    expect(page.has_more).toBe(false);
  });

  it("deletes an assistant; it can no longer be retrieved, updated, deleted or listed", async () => {
    const { client } = app();
    const keep = await client.beta.assistants.create({ model: "gpt-4o" });
    const gone = await client.beta.assistants.create({ model: "gpt-4o" });
    const deleted = await client.beta.assistants.delete(gone.id);
    expectMatchesSchema(deleted, "DeleteAssistantResponse");
    expect(deleted).toEqual({ id: gone.id, object: "assistant.deleted", deleted: true });

    const message = `No assistant found with id '${gone.id}'.`;
    for (const call of [
      client.beta.assistants.retrieve(gone.id),
      client.beta.assistants.update(gone.id, { name: "x" }),
      client.beta.assistants.delete(gone.id),
    ]) {
      const err = await sdkError(call, OpenAI.NotFoundError);
      expect(err.error.message).toBe(message);
    }
    expect((await client.beta.assistants.list()).data.map((a) => a.id)).toEqual([keep.id]);
  });
});
