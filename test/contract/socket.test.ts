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
});
