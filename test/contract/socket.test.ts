import { createHash } from "node:crypto";
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { sdkError } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { listen, makeTestApp, type TestApp } from "../helpers/test-app.js";

const PDF = new URL("../fixtures/pdfs/c02-22.pdf", import.meta.url).pathname;

/** The same calls a real client makes: a plain SDK over a loopback socket, no custom fetch. */
describe("over a real socket", () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let client: OpenAI;

  beforeEach(async () => {
    t = await makeTestApp({ API_KEY: "socket-secret" });
    server = await listen(t.app);
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "socket-secret", maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
    await t.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("creates, retrieves, lists, updates and deletes an assistant", async () => {
    const a = await client.beta.assistants.create({ model: "gpt-4o", name: "Over TCP", metadata: { via: "socket" } });
    expectMatchesSchema(a, "AssistantObject");
    expect(await client.beta.assistants.retrieve(a.id)).toEqual(a);
    const listed: string[] = [];
    for await (const x of client.beta.assistants.list({ limit: 1 })) listed.push(x.id);
    expect(listed).toEqual([a.id]);
    expect((await client.beta.assistants.update(a.id, { name: "Renamed" })).name).toBe("Renamed");
    expect(await client.beta.assistants.delete(a.id)).toEqual({ id: a.id, object: "assistant.deleted", deleted: true });
    const err = await sdkError(client.beta.assistants.retrieve(a.id), OpenAI.NotFoundError);
    expect(err.error.message).toBe(`No assistant found with id '${a.id}'.`);
  });

  it("threads and messages round trip", async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "héllo, wörld ✓" }] });
    expectMatchesSchema(thread, "ThreadObject");
    const m = await client.beta.threads.messages.create(thread.id, { role: "user", content: [{ type: "text", text: "second" }] });
    const list = await client.beta.threads.messages.list(thread.id, { order: "asc" });
    expect(list.data.map((x) => x.id).at(-1)).toBe(m.id);
    expect(list.data[0]!.content).toEqual([{ type: "text", text: { value: "héllo, wörld ✓", annotations: [] } }]);
    expect(await client.beta.threads.delete(thread.id)).toEqual({ id: thread.id, object: "thread.deleted", deleted: true });
  });

  it("uploads a PDF and downloads the same bytes", async () => {
    const original = fs.readFileSync(PDF);
    const file = await client.files.create({ file: await toFile(original, "c02-22.pdf"), purpose: "assistants" });
    expectMatchesSchema(file, "OpenAIFile");
    const res = await client.files.content(file.id);
    const got = Buffer.from(await res.arrayBuffer());
    expect(createHash("sha256").update(got).digest("hex")).toBe(createHash("sha256").update(original).digest("hex"));
    expect((await client.files.delete(file.id)).deleted).toBe(true);
  });

  it("a wrong key is refused with 401 over the wire too", async () => {
    const wrong = new OpenAI({ baseURL: server.baseURL, apiKey: "nope", maxRetries: 0 });
    await sdkError(wrong.beta.assistants.list(), OpenAI.AuthenticationError);
  });

  it("raw errors keep their shape over the wire", async () => {
    const res = await fetch(`${server.baseURL}/assistants`, {
      method: "POST",
      headers: { authorization: "Bearer socket-secret", "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(Object.keys(((await res.json()) as { error: object }).error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("every answer carries x-request-id: the SDK's _request_id, a client's own id echoed, an unsafe one replaced, errors and refusals too", async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = await client.beta.assistants.create({ model: "gpt-4o" });
    expect(a._request_id).toMatch(uuid);
    const get = (path: string, headers: Record<string, string>) => fetch(`${server.baseURL}${path}`, { headers: { authorization: "Bearer socket-secret", ...headers } });
    const own = await get(`/assistants/${a.id}`, { "x-request-id": "client-trace-42" });
    expect(own.status).toBe(200);
    expect(own.headers.get("x-request-id")).toBe("client-trace-42");
    expect(((await own.json()) as { id: string }).id).toBe(a.id);
    const unsafe = await get(`/assistants/${a.id}`, { "x-request-id": "two words" });
    expect(unsafe.headers.get("x-request-id")).toMatch(uuid);
    const missing = await get("/assistants/asst_nope", { "x-request-id": "trace-404" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).toBe("trace-404");
    const refused = await fetch(`${server.baseURL}/assistants`, { headers: { "x-request-id": "trace-401" } }); // no key
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-request-id")).toBe("trace-401");
    // Two requests, two ids.
    const [first, second] = await Promise.all([get("/assistants", {}), get("/assistants", {})]);
    expect(first!.headers.get("x-request-id")).not.toBe(second!.headers.get("x-request-id"));
    // In process (no socket) the header is on the answer all the same.
    const inProcess = await t.request("/v1/assistants", { headers: { authorization: "Bearer socket-secret", "x-request-id": "in-process-7" } });
    expect(inProcess.headers.get("x-request-id")).toBe("in-process-7");
  });

  it("a JSON body sent chunked (no Content-Length) is read and validated; one over the limit is 413", async () => {
    const chunked = (text: string, size: number) => {
      const bytes = new TextEncoder().encode(text);
      return new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.subarray(i, i + size));
          controller.close();
        },
      });
    };
    // 7-byte pieces split UTF-8 sequences between chunks.
    const post = (text: string, size = 7) =>
      fetch(`${server.baseURL}/assistants`, {
        method: "POST",
        headers: { authorization: "Bearer socket-secret", "content-type": "application/json" },
        body: chunked(text, size),
        duplex: "half",
      } as RequestInit);
    const made = await post(JSON.stringify({ model: "gpt-4o", name: "Chunked — ✓ ünïcode" }));
    expect(made.status).toBe(200);
    expect(made.headers.get("x-request-id")).toBeTruthy();
    const a = (await made.json()) as { id: string; name: string };
    expect(a.name).toBe("Chunked — ✓ ünïcode");
    expect((await client.beta.assistants.retrieve(a.id)).name).toBe("Chunked — ✓ ünïcode");
    const bad = await post(JSON.stringify({ model: "gpt-4o", temperature: "hot" }));
    expect(bad.status).toBe(400);
    const huge = await post(JSON.stringify({ model: "gpt-4o", instructions: "x".repeat(5 * 1024 * 1024) }), 64 * 1024); // MAX_JSON_BODY_BYTES: 4 MiB
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
  });
});
