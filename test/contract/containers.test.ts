/**
 * The Containers API through the openai SDK: create (files, expiry, memory), list, retrieve, delete; files in
 * (upload or an uploaded file's id), listed, read, downloaded and taken out; a container made here used by a
 * response's code_interpreter, whose written file appears in it with source "assistant"; expiry refuses use.
 * Objects checked against responses.openapi.json.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError, NotFoundError, toFile } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { callCode } from "../helpers/code-interpreter.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { useRunApp } from "../helpers/runs.js";
import { createQuickJsSandbox, type CodeSandbox } from "../../src/sandbox/index.js";

let now = 1_800_000_000;

describe("containers", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1" }, {}, { clock: () => now });

  it("creates with files, lists, retrieves and deletes; files go in, are listed, read, downloaded and taken out", async () => {
    const t = app();
    const notes = await t.client.files.create({ file: await toFile(Buffer.from("alpha"), "notes.txt"), purpose: "assistants" });
    const container = await t.client.containers.create({ name: "work", file_ids: [notes.id], expires_after: { anchor: "last_active_at", minutes: 5 }, memory_limit: "4g" });
    expectMatchesResponsesSchema(container, "ContainerResource");
    expect(container).toMatchObject({ object: "container", name: "work", status: "running", expires_after: { anchor: "last_active_at", minutes: 5 }, memory_limit: "4g" });
    expect(container.id).toMatch(/^cntr_/);
    expect(container).not.toHaveProperty("file_ids");
    expect(await t.client.containers.retrieve(container.id)).toEqual(container);
    const listed = await t.client.containers.list();
    expectMatchesResponsesSchema(wireBody(listed), "ContainerListResource");
    expect(listed.data.map((c) => c.id)).toContain(container.id);

    const uploaded = await t.client.containers.files.create(container.id, { file: await toFile(Buffer.from("beta beta"), "data.csv") });
    expectMatchesResponsesSchema(uploaded, "ContainerFileResource");
    expect(uploaded).toMatchObject({ object: "container.file", container_id: container.id, bytes: 9, path: "/mnt/data/data.csv", source: "user" });
    const other = await t.client.files.create({ file: await toFile(Buffer.from("gamma"), "more.txt"), purpose: "assistants" });
    const copied = await t.client.containers.files.create(container.id, { file_id: other.id });
    expect(copied).toMatchObject({ id: other.id, path: "/mnt/data/more.txt" });

    const files = await t.client.containers.files.list(container.id, { order: "asc" });
    expectMatchesResponsesSchema(wireBody(files), "ContainerFileListResource");
    expect(files.data.map((f) => f.path)).toEqual(["/mnt/data/notes.txt", "/mnt/data/data.csv", "/mnt/data/more.txt"]);
    expect(await t.client.containers.files.retrieve(uploaded.id, { container_id: container.id })).toEqual(uploaded);
    const content = await t.client.containers.files.content.retrieve(uploaded.id, { container_id: container.id });
    expect(await content.text()).toBe("beta beta");

    await t.client.containers.files.delete(uploaded.id, { container_id: container.id }); // typed void by the SDK
    expect((await t.client.containers.files.list(container.id)).data.map((f) => f.id)).not.toContain(uploaded.id);
    await sdkError(t.client.containers.files.retrieve(uploaded.id, { container_id: container.id }), NotFoundError);

    await t.client.containers.delete(container.id);
    await sdkError(t.client.containers.retrieve(container.id), NotFoundError);
    await sdkError(t.client.containers.files.list(container.id), NotFoundError);
  });

  it("a response's code_interpreter runs in a container made here, reads its files, and its written file joins it", async () => {
    const t = app();
    const notes = await t.client.files.create({ file: await toFile(Buffer.from("remember the milk"), "notes.txt"), purpose: "assistants" });
    const container = await t.client.containers.create({ name: "shared", file_ids: [notes.id] });
    t.ollama.script(callCode("files.writeText('upper.txt', files.readText('notes.txt').toUpperCase()); 'ok'"), { text: "Done." });
    const response = await t.client.responses.create({ model: "gpt-4o", input: "Shout my notes.", tools: [{ type: "code_interpreter", container: container.id }] });
    expect(response.status).toBe("completed");
    expect((response.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall).container_id).toBe(container.id);
    const files = await t.client.containers.files.list(container.id, { order: "asc" });
    const written = files.data.find((f) => f.path === "/mnt/data/upper.txt")!;
    expect(written.source).toBe("assistant");
    expect(await (await t.client.containers.files.content.retrieve(written.id, { container_id: container.id })).text()).toBe("REMEMBER THE MILK");
  });

  it("an expired container is shown expired and refuses use; bad requests name the field", async () => {
    const t = app();
    const container = await t.client.containers.create({ name: "short", expires_after: { anchor: "last_active_at", minutes: 1 } });
    now += 120;
    expect((await t.client.containers.retrieve(container.id)).status).toBe("expired");
    const file = await t.client.files.create({ file: await toFile(Buffer.from("x"), "x.txt"), purpose: "assistants" });
    const expired = await sdkError(t.client.containers.files.create(container.id, { file_id: file.id }), BadRequestError);
    expect(expired.code).toBe("container_expired");
    const used = await sdkError(t.client.responses.create({ model: "gpt-4o", input: "q", tools: [{ type: "code_interpreter", container: container.id }] }), BadRequestError);
    expect(used.code).toBe("container_expired");

    expect((await sdkError(t.client.containers.create({ name: "x", file_ids: ["file-missing"] }), BadRequestError)).param).toBe("file_ids[0]");
    expect((await sdkError(t.client.containers.create({} as never), BadRequestError)).param).toBe("name");
    expect((await sdkError(t.client.containers.create({ name: "x", network_policy: { type: "allowlist", allowed_domains: ["a.example"] } } as never), BadRequestError)).param).toBe("network_policy.type");
    await sdkError(t.client.containers.delete("cntr_missing"), NotFoundError);
  });
});

describe("deleting what owns a sandbox session ends it", () => {
  const real = createQuickJsSandbox({ poolSize: 1 });
  const ended: string[] = [];
  // The real sandbox, with its session endings recorded (the API cannot use a deleted container or thread again).
  const sandbox: CodeSandbox = { run: (code, opts) => real.run(code, opts), end: (key) => (ended.push(key), real.end(key)), close: () => real.close() };
  const app = useRunApp({}, {}, { sandbox });

  it("a deleted container's session and a deleted thread's session end at once; a 404 delete ends nothing", async () => {
    const t = app();
    const container = await t.client.containers.create({ name: "scratch" });
    const thread = await t.client.beta.threads.create();
    const typeOfKept = async (key: string) => (await real.run("typeof kept", { sessionKey: key, files: [] })).result;
    for (const key of [container.id, thread.id]) await real.run("var kept = 1", { sessionKey: key, files: [] });
    expect(await typeOfKept(container.id)).toBe("number");
    await t.client.containers.delete(container.id);
    expect(ended).toEqual([container.id]);
    expect(await typeOfKept(container.id)).toBe("undefined");

    await expect(t.client.beta.threads.delete("thread_not_here")).rejects.toThrow();
    expect(ended).toEqual([container.id]);
    expect(await typeOfKept(thread.id)).toBe("number");
    await t.client.beta.threads.delete(thread.id);
    expect(ended).toEqual([container.id, thread.id]);
    expect(await typeOfKept(thread.id)).toBe("undefined");
  });
});
