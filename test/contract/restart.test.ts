import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toFile } from "openai";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

describe("restart: everything written survives a new process over the same DATA_DIR", () => {
  let dataDir: string;
  const opened: TestApp[] = [];
  const open = async (): Promise<TestApp> => {
    const t = await makeTestApp({ DATA_DIR: dataDir });
    opened.push(t);
    return t;
  };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-restart-"));
  });
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("assistants, threads, messages and files (with their bytes) are all readable after reopening", async () => {
    const first = await open();
    const c = first.client;
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
    const file = await c.files.create({ file: await toFile(bytes, "blob.bin"), purpose: "assistants" });
    const assistant = await c.beta.assistants.create({
      model: "gpt-4-1106-preview",
      name: "Persistent",
      tools: [{ type: "code_interpreter" }, { type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_resources: { code_interpreter: { file_ids: [file.id] } },
      metadata: { k: "v" },
    });
    const deletedAssistant = await c.beta.assistants.create({ model: "gpt-4o" });
    await c.beta.assistants.delete(deletedAssistant.id);
    const thread = await c.beta.threads.create({ messages: [{ role: "user", content: "first" }], metadata: { t: "1" } });
    const second = await c.beta.threads.messages.create(thread.id, {
      role: "user",
      content: "second",
      attachments: [{ file_id: file.id, tools: [{ type: "code_interpreter" }] }],
    });
    const messagesBefore = (await c.beta.threads.messages.list(thread.id, { order: "asc" })).data;
    await first.close();

    const second2 = await open();
    const r = second2.client;
    const a = await r.beta.assistants.retrieve(assistant.id);
    expectMatchesSchema(a, "AssistantObject");
    expect(a).toEqual(assistant);
    expect((await r.beta.assistants.list()).data.map((x) => x.id)).toEqual([assistant.id]);
    const th = await r.beta.threads.retrieve(thread.id);
    expectMatchesSchema(th, "ThreadObject");
    expect(th).toEqual(thread);
    const messages = (await r.beta.threads.messages.list(thread.id, { order: "asc" })).data;
    expect(messages).toEqual(messagesBefore);
    expect(messages.at(-1)).toEqual(second);
    const f = await r.files.retrieve(file.id);
    expectMatchesSchema(f, "OpenAIFile");
    expect(f).toEqual(file);
    const content = Buffer.from(await (await r.files.content(file.id)).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);

    // And it keeps working: new writes after the restart go on in order.
    const later = await r.beta.threads.messages.create(thread.id, { role: "user", content: "third" });
    expect((await r.beta.threads.messages.list(thread.id)).data[0]!.id).toBe(later.id);
  });

  it("a file deleted before the restart stays deleted, bytes included", async () => {
    const first = await open();
    const file = await first.client.files.create({ file: await toFile(Buffer.from("gone"), "gone.txt"), purpose: "assistants" });
    await first.client.files.delete(file.id);
    await first.close();
    const reopened = await open();
    expect((await reopened.client.files.list()).data).toEqual([]);
    expect(fs.readdirSync(path.join(dataDir, "files"))).toEqual([]);
  });
});
