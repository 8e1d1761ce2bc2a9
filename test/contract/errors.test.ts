import { describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { postRaw, rawError, sdkError, useTestApp } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import type { TestApp } from "../helpers/test-app.js";

/** Sends `body` with the SDK (auth, headers, error mapping as usual) while bypassing its request types. */
function post(t: TestApp, path: string, body: Record<string, unknown>): Promise<unknown> {
  return t.client.post(path, { body });
}

async function badRequest(t: TestApp, path: string, body: Record<string, unknown>) {
  const err = await sdkError(post(t, path, body), OpenAI.BadRequestError);
  expect(err.status).toBe(400);
  expect(err.error.type).toBe("invalid_request_error");
  expectMatchesSchema({ error: err.error }, "ErrorResponse");
  return err.error;
}

describe("errors: not found", () => {
  const app = useTestApp();

  it("names the missing assistant, thread, message and file in OpenAI's words", async () => {
    const { client } = app();
    const thread = await client.beta.threads.create();
    const cases: [Promise<unknown>, string][] = [
      [client.beta.assistants.retrieve("asst_x"), "No assistant found with id 'asst_x'."],
      [client.beta.assistants.update("asst_x", { name: "n" }), "No assistant found with id 'asst_x'."],
      [client.beta.assistants.delete("asst_x"), "No assistant found with id 'asst_x'."],
      [client.beta.threads.retrieve("thread_x"), "No thread found with id 'thread_x'."],
      [client.beta.threads.update("thread_x", { metadata: {} }), "No thread found with id 'thread_x'."],
      [client.beta.threads.delete("thread_x"), "No thread found with id 'thread_x'."],
      [client.beta.threads.messages.list("thread_x"), "No thread found with id 'thread_x'."],
      [client.beta.threads.messages.retrieve("msg_x", { thread_id: thread.id }), "No message found with id 'msg_x'."],
      [client.beta.threads.messages.update("msg_x", { thread_id: thread.id, metadata: {} }), "No message found with id 'msg_x'."],
      [client.beta.threads.messages.delete("msg_x", { thread_id: thread.id }), "No message found with id 'msg_x'."],
      [client.files.retrieve("file-x"), "No file found with id 'file-x'."],
      [client.files.content("file-x"), "No file found with id 'file-x'."],
      [client.files.delete("file-x"), "No file found with id 'file-x'."],
    ];
    for (const [call, message] of cases) {
      const err = await sdkError(call, OpenAI.NotFoundError);
      expect(err.status).toBe(404);
      expect(err.error).toEqual({ message, type: "invalid_request_error", param: null, code: null });
      expect(err.message).toBe(`404 ${message}`);
    }
  });
});

describe("errors: invalid requests name the parameter", () => {
  const app = useTestApp();

  it.each([
    ["model missing", {}, "model"],
    ["model as a number", { model: 5 }, "model"],
    ["name as a number", { model: "gpt-4o", name: 5 }, "name"],
    ["name too long", { model: "gpt-4o", name: "n".repeat(257) }, "name"],
    ["temperature as a string", { model: "gpt-4o", temperature: "hot" }, "temperature"],
    ["temperature above 2", { model: "gpt-4o", temperature: 2.5 }, "temperature"],
    ["top_p above 1", { model: "gpt-4o", top_p: 1.5 }, "top_p"],
    ["tools as an object", { model: "gpt-4o", tools: {} }, "tools"],
    ["an unknown tool type", { model: "gpt-4o", tools: [{ type: "code_interpreter" }, { type: "web_browser" }] }, "tools[1].type"],
    ["a function without a name", { model: "gpt-4o", tools: [{ type: "function", function: {} }] }, "tools[0].function.name"],
    ["a bad function name", { model: "gpt-4o", tools: [{ type: "function", function: { name: "has space" } }] }, "tools[0].function.name"],
    ["max_num_results above 50", { model: "gpt-4o", tools: [{ type: "file_search", file_search: { max_num_results: 51 } }] }, "tools[0].file_search.max_num_results"],
    ["129 tools", { model: "gpt-4o", tools: Array.from({ length: 129 }, () => ({ type: "code_interpreter" })) }, "tools"],
    ["an unknown response format", { model: "gpt-4o", response_format: { type: "yaml" } }, "response_format.type"],
    ["metadata as a string", { model: "gpt-4o", metadata: "x" }, "metadata"],
    ["metadata with 17 keys", { model: "gpt-4o", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata"],
    ["a metadata value that is not a string", { model: "gpt-4o", metadata: { n: 1 } }, "metadata.n"],
    ["a metadata value of 513 characters", { model: "gpt-4o", metadata: { long: "v".repeat(513) } }, "metadata.long"],
    ["an unknown parameter", { model: "gpt-4o", colour: "blue" }, "colour"],
    ["an unknown nested parameter", { model: "gpt-4o", tools: [{ type: "code_interpreter", extra: 1 }] }, "tools[0].extra"],
  ])("create assistant with %s", async (_label, body, param) => {
    const error = await badRequest(app(), "/assistants", body);
    expect(error.param).toBe(param);
  });

  it("accepts the limits themselves: 16 metadata keys, 64-char key, 512-char value, 128 tools", async () => {
    const a = await app().client.beta.assistants.create({
      model: "gpt-4o",
      metadata: { ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, "v"])), ["k".repeat(64)]: "v".repeat(512) },
      tools: Array.from({ length: 128 }, () => ({ type: "code_interpreter" as const })),
    });
    expectMatchesSchema(a, "AssistantObject");
    expect(Object.keys(a.metadata ?? {})).toHaveLength(16);
    expect(a.tools).toHaveLength(128);
  });

  it("a metadata key of 65 characters names metadata and says why", async () => {
    const error = await badRequest(app(), "/assistants", { model: "gpt-4o", metadata: { ["k".repeat(65)]: "v" } });
    expect(error.param).toBe("metadata");
    expect(error.message).toMatch(/64/);
  });

  it("the message says what is wrong", async () => {
    const unknown = await badRequest(app(), "/assistants", { model: "gpt-4o", colour: "blue" });
    expect(unknown).toMatchObject({ code: "unknown_parameter" });
    expect(unknown.message).toMatch(/colour/);
    const missing = await badRequest(app(), "/assistants", {});
    expect(missing.message).toMatch(/model/);
  });

  it("an update is validated the same way", async () => {
    const t = app();
    const a = await t.client.beta.assistants.create({ model: "gpt-4o", name: "kept" });
    expect((await badRequest(t, `/assistants/${a.id}`, { temperature: -1 })).param).toBe("temperature");
    expect((await badRequest(t, `/assistants/${a.id}`, { tools: [{ type: "nope" }] })).param).toBe("tools[0].type");
    expect((await badRequest(t, `/assistants/${a.id}`, { bogus: true })).param).toBe("bogus");
    expect(await t.client.beta.assistants.retrieve(a.id)).toEqual(a);
  });

  it("an unknown file id in tool_resources.code_interpreter.file_ids", async () => {
    const t = app();
    const file = await t.client.files.create({ file: await toFile(Buffer.from("x"), "x.txt"), purpose: "assistants" });
    const error = await badRequest(t, "/assistants", {
      model: "gpt-4o",
      tool_resources: { code_interpreter: { file_ids: [file.id, "file-missing"] } },
    });
    expect(error.param).toBe("tool_resources.code_interpreter.file_ids[1]");
    expect(error.message).toMatch(/file-missing/);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
    const thread = await badRequest(t, "/threads", { tool_resources: { code_interpreter: { file_ids: ["file-missing"] } } });
    expect(thread.param).toBe("tool_resources.code_interpreter.file_ids[0]");
  });

  it("an unknown vector store id in tool_resources.file_search.vector_store_ids", async () => {
    const t = app();
    const error = await badRequest(t, "/assistants", {
      model: "gpt-4o",
      tools: [{ type: "file_search" }],
      tool_resources: { file_search: { vector_store_ids: ["vs_missing"] } },
    });
    expect(error.param).toBe("tool_resources.file_search.vector_store_ids[0]");
    expect(error.message).toMatch(/vs_missing/);
    const thread = await badRequest(t, "/threads", { tool_resources: { file_search: { vector_store_ids: ["vs_missing"] } } });
    expect(thread.param).toBe("tool_resources.file_search.vector_store_ids[0]");
  });

  it("an unknown file id in message attachments", async () => {
    const t = app();
    const thread = await t.client.beta.threads.create();
    const error = await badRequest(t, `/threads/${thread.id}/messages`, {
      role: "user",
      content: "see attached",
      attachments: [{ file_id: "file-missing", tools: [{ type: "file_search" }] }],
    });
    expect(error.param).toMatch(/^attachments\[0\]/);
    expect(error.message).toMatch(/file-missing/);
    expect((await t.client.beta.threads.messages.list(thread.id)).data).toEqual([]);
  });

  it("messages: bad role, empty content parts, unknown content type, bad metadata", async () => {
    const t = app();
    const thread = await t.client.beta.threads.create();
    const path = `/threads/${thread.id}/messages`;
    expect((await badRequest(t, path, { role: "system", content: "x" })).param).toBe("role");
    expect((await badRequest(t, path, { role: "user" })).param).toBe("content");
    expect((await badRequest(t, path, { role: "user", content: [] })).param).toBe("content");
    expect((await badRequest(t, path, { role: "user", content: 5 })).param).toBe("content");
    expect((await badRequest(t, path, { role: "user", content: "x", metadata: { k: 1 } })).param).toBe("metadata.k");
    expect((await badRequest(t, path, { role: "user", content: "x", extra: 1 })).param).toBe("extra");
    const msg = await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "x" });
    expect((await badRequest(t, `${path}/${msg.id}`, { content: "changed" })).param).toBe("content");
  });

  it("threads: a bad initial message names its index", async () => {
    const error = await badRequest(app(), "/threads", { messages: [{ role: "user", content: "ok" }, { role: "robot", content: "x" }] });
    expect(error.param).toBe("messages[1].role");
  });
});

describe("errors: raw HTTP", () => {
  const app = useTestApp({ MAX_JSON_BODY_BYTES: "2048" });

  it("malformed JSON is 400", async () => {
    const error = await rawError(await postRaw(app(), "/v1/assistants", '{"model": "gpt-4o",'), 400);
    expect(error.type).toBe("invalid_request_error");
  });

  it.each(["[]", '[{"model":"gpt-4o"}]', "null", '"gpt-4o"', "42"])("a JSON body that is not an object (%s) is 400", async (body) => {
    await rawError(await postRaw(app(), "/v1/assistants", body), 400);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml"])(
    "a JSON body sent as %s is 400",
    async (type) => {
      const t = app();
      await rawError(await postRaw(t, "/v1/assistants", JSON.stringify({ model: "gpt-4o" }), type), 400);
      expect((await t.client.beta.assistants.list()).data).toEqual([]);
    },
  );

  it("application/json with a charset is fine", async () => {
    const res = await postRaw(app(), "/v1/assistants", JSON.stringify({ model: "gpt-4o" }), "application/json; charset=utf-8");
    expect(res.status).toBe(200);
    expectMatchesSchema(await res.json(), "AssistantObject");
  });

  it("a body over MAX_JSON_BODY_BYTES is 413", async () => {
    const t = app();
    const body = JSON.stringify({ model: "gpt-4o", instructions: "x".repeat(4096) });
    const error = await rawError(await postRaw(t, "/v1/assistants", body), 413);
    expect(error.type).toBe("invalid_request_error");
    const viaSdk = await sdkError(t.client.beta.assistants.create({ model: "gpt-4o", instructions: "x".repeat(4096) }), OpenAI.APIError);
    expect(viaSdk.status).toBe(413);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
  });

  it("a body over the limit with a Content-Length header is 413 too", async () => {
    const body = JSON.stringify({ model: "gpt-4o", instructions: "x".repeat(4096) });
    const res = await app().request("/v1/assistants", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      body,
    });
    await rawError(res, 413);
  });

  it.each([
    ["GET", "/v1/nothing-here"],
    ["GET", "/v2/assistants"],
    ["GET", "/v1/threads/thread_x/messages/msg_x/extra"],
  ])("an unknown route (%s %s) is 404", async (method, path) => {
    const error = await rawError(await app().request(path, { method }), 404);
    expect(error.type).toBe("invalid_request_error");
  });

  it.each([
    ["PUT", "/v1/assistants"],
    ["DELETE", "/v1/assistants"],
    ["PATCH", "/v1/assistants/asst_x"],
    ["PUT", "/v1/threads/thread_x"],
    ["POST", "/v1/files/file-x/content"],
  ])("a wrong method (%s %s) is 404 or 405 in the same shape", async (method, path) => {
    const res = await app().request(path, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? null : "{}" });
    expect([404, 405]).toContain(res.status);
    await rawError(res, res.status);
  });
});

describe("errors: hostile JSON", () => {
  const app = useTestApp();

  it.each([
    ["arrays", "[".repeat(10_000) + "]".repeat(10_000)],
    ["objects", '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000)],
  ])("10,000 levels of nested %s are 400, not 500", async (_kind, nested) => {
    const t = app();
    for (const [path, field] of [
      ["/v1/assistants", "metadata"],
      ["/v1/threads", "metadata"],
    ] as const) {
      const body = `{"model":"gpt-4o",${JSON.stringify(field)}:${nested}}`;
      await rawError(await postRaw(t, path, body), 400);
    }
    const tools = `{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":${nested.replace(/^\[/, '{"x":[').replace(/\]$/, "]}")}}}]}`;
    await rawError(await postRaw(t, "/v1/assistants", tools), 400);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
  });

  it("the server still answers after hostile bodies", async () => {
    const t = app();
    await postRaw(t, "/v1/assistants", "[".repeat(10_000) + "]".repeat(10_000));
    const a = await t.client.beta.assistants.create({ model: "gpt-4o" });
    expectMatchesSchema(a, "AssistantObject");
  });

  it("prototype keys in metadata stay data: nothing is polluted", async () => {
    const t = app();
    const res = await postRaw(t, "/v1/assistants", '{"model":"gpt-4o","metadata":{"constructor":"y","__proto__":{"polluted":"x"}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (res.status !== 200) return void (await rawError(res, 400));
    const a = (await res.json()) as { id: string; metadata: Record<string, unknown> };
    expectMatchesSchema(a, "AssistantObject");
    expect(a.metadata.constructor).toBe("y");
    expect(Object.keys(a.metadata)).not.toContain("polluted");
  });
});
