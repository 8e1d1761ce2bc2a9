import { describe, expect, it } from "vitest";
import { SCHEMA_NAMES, expectMatchesSchema, nullableToUnion } from "../helpers/openapi.js";

const assistant = {
  id: "asst_abc",
  object: "assistant",
  created_at: 1_700_000_000,
  name: null,
  description: null,
  model: "gpt-4o",
  instructions: null,
  tools: [],
  tool_resources: {},
  metadata: {},
  temperature: 1,
  top_p: 1,
  response_format: "auto",
};

describe("openapi helper", () => {
  it("rewrites OpenAPI 3.0 nullable into JSON Schema null unions", () => {
    expect(nullableToUnion({ type: "string", nullable: true })).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] });
    expect(nullableToUnion({ allOf: [{ $ref: "#/x" }, { nullable: true }], description: "d" })).toEqual({
      anyOf: [{ allOf: [{ $ref: "#/x" }], description: "d" }, { type: "null" }],
    });
    expect(nullableToUnion({ $ref: "#/x", nullable: true })).toEqual({ anyOf: [{ $ref: "#/x" }, { type: "null" }] });
    expect(nullableToUnion({ type: "integer", nullable: false })).toEqual({ type: "integer" });
    expect(nullableToUnion({ allOf: [{ $ref: "#/x" }, {}] })).toEqual({ allOf: [{ $ref: "#/x" }, {}] });
    expect(nullableToUnion({ properties: { a: { type: "string", enum: ["x"], nullable: true } } })).toEqual({
      properties: { a: { anyOf: [{ type: "string", enum: ["x"] }, { type: "null" }] } },
    });
  });

  it.each(SCHEMA_NAMES)("compiles %s", (name) => {
    expect(() => expectMatchesSchema(null, name)).toThrow(/does not match/);
  });

  it("accepts a valid object", () => {
    expect(() => expectMatchesSchema(assistant, "AssistantObject")).not.toThrow();
  });

  it.each([
    ["a millisecond timestamp", { ...assistant, created_at: 1_700_000_000_000 }, /\/created_at.*unixtime/],
    ["a fractional timestamp", { ...assistant, created_at: 1_700_000_000.5 }, /\/created_at/],
    ["a missing required field", (({ model: _m, ...rest }) => rest)(assistant), /required property 'model'/],
    ["a wrong object kind", { ...assistant, object: "assistants" }, /\/object/],
    ["an unknown tool", { ...assistant, tools: [{ type: "web" }] }, /\/tools\/0/],
    ["metadata with a number", { ...assistant, metadata: { n: 1 } }, /\/metadata/],
  ])("rejects %s, naming the path", (_label, value, message) => {
    expect(() => expectMatchesSchema(value, "AssistantObject")).toThrow(message);
  });

  it("allows the documented deviations: null list cursors, null file expiry, purpose evals", () => {
    expectMatchesSchema({ object: "list", data: [], first_id: null, last_id: null, has_more: false }, "ListAssistantsResponse");
    const file = { id: "file-x", object: "file", bytes: 1, created_at: 1, filename: "a", purpose: "evals", status: "processed" };
    expectMatchesSchema({ ...file, expires_at: null, status_details: null }, "OpenAIFile");
    expect(() => expectMatchesSchema({ ...file, purpose: "homework" }, "OpenAIFile")).toThrow(/purpose/);
  });

  it("keeps nullable fields nullable and others not", () => {
    expectMatchesSchema({ ...assistant, temperature: null, response_format: null }, "AssistantObject");
    expect(() => expectMatchesSchema({ ...assistant, model: null }, "AssistantObject")).toThrow(/\/model/);
  });
});
