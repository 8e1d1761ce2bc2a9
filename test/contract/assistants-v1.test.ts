/**
 * The v1 wire format for v1 clients (`OpenAI-Beta: assistants=v1`, as openai-python 1.2.3 sends it), over
 * the same store v2 clients use. Raw HTTP, as the node SDK has no v1 types: every answer is validated
 * against the v1 shapes (test/helpers/v1-shapes.ts), and what one version writes the other reads.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { RunTestApp } from "../helpers/run-app.js";
import { readSse, sleep, TERMINAL, WEATHER_TOOL } from "../helpers/runs.js";
import { pdf, settle, upload, useVsApp } from "../helpers/vector-stores.js";
import { rawError } from "../helpers/contract.js";
import { AssistantFileV1, AssistantV1, expectV1, listOf, MessageFileV1, MessageV1, RunStepV1, RunV1, ThreadV1 } from "../helpers/v1-shapes.js";

const V1_HEADERS = { "OpenAI-Beta": "assistants=v1", "content-type": "application/json" };
const SEARCH = { toolCalls: [{ name: "file_search", arguments: { query: "737 MAX angle of attack sensor proposed AD requirements" } }] };

/** One v1 call; resolves with the response (status unchecked). */
function v1Call(t: RunTestApp, method: string, path: string, body?: unknown): Promise<Response> {
  return t.request(`/v1${path}`, { method, headers: V1_HEADERS, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/** A v1 call that must succeed with an object of `schema`. */
async function v1<T extends z.ZodType>(t: RunTestApp, schema: T, method: string, path: string, body?: unknown): Promise<z.output<T>> {
  const res = await v1Call(t, method, path, body);
  const json: unknown = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  return expectV1(schema, json);
}

async function text(t: RunTestApp, content: string, name: string): Promise<string> {
  return (await upload(t, content, name)).id;
}

async function pollV1(t: RunTestApp, threadId: string, runId: string): Promise<z.output<typeof RunV1>> {
  for (let i = 0; i < 500; i++) {
    const run = await v1(t, RunV1, "GET", `/threads/${threadId}/runs/${runId}`);
    if (TERMINAL.includes(run.status)) return run;
    await sleep(5);
  }
  throw new Error("run did not end");
}

describe("OpenAI-Beta: assistants=v1", () => {
  const app = useVsApp();

  it("an assistant made with retrieval and file_ids reads back in v1 shape; v2 reads the same files as tool_resources", async () => {
    const t = app();
    const fileId = await text(t, "Volcanoes erupt when magma rises.", "volcanoes.txt");
    const created = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "retrieval" }], file_ids: [fileId] });
    expect(created.tools).toEqual([{ type: "retrieval" }]);
    expect(created.file_ids).toEqual([fileId]);

    expect(await v1(t, AssistantV1, "GET", `/assistants/${created.id}`)).toEqual(created);
    const list = await v1(t, listOf(AssistantV1), "GET", "/assistants");
    expect(list.data).toEqual([created]);

    const asV2 = await t.client.beta.assistants.retrieve(created.id);
    expect(asV2.tools[0]!.type).toBe("file_search");
    const [storeId] = asV2.tool_resources!.file_search!.vector_store_ids!;
    const members = await t.client.vectorStores.files.list(storeId!);
    expect(members.data.map((f) => f.id)).toEqual([fileId]);

    // Modified over v2 (another file in the store), read over v1: the new file is among its file_ids.
    const second = await text(t, "Saturn has rings.", "saturn.txt");
    await t.client.vectorStores.files.create(storeId!, { file_id: second });
    expect((await v1(t, AssistantV1, "GET", `/assistants/${created.id}`)).file_ids).toEqual([fileId, second]);
  });

  it("function tools read back without v2's strict; code_interpreter file_ids are the assistant's files too", async () => {
    const t = app();
    const fileId = await text(t, "a,b\n1,2\n", "data.csv");
    const a = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "code_interpreter" }, WEATHER_TOOL], file_ids: [fileId] });
    expect(a.tools).toEqual([{ type: "code_interpreter" }, { type: "function", function: { name: WEATHER_TOOL.function.name, description: WEATHER_TOOL.function.description, parameters: WEATHER_TOOL.function.parameters } }]);
    expect(a.file_ids).toEqual([fileId]);
    const asV2 = await t.client.beta.assistants.retrieve(a.id);
    expect(asV2.tool_resources?.code_interpreter?.file_ids).toEqual([fileId]);
  });

  it("the v1 assistant files endpoints attach, list (with cursors), get and detach, over the same store", async () => {
    const t = app();
    const [f1, f2, f3] = [await text(t, "one", "1.txt"), await text(t, "two", "2.txt"), await text(t, "three", "3.txt")];
    const a = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "retrieval" }], file_ids: [f1] });

    const attached = await v1(t, AssistantFileV1, "POST", `/assistants/${a.id}/files`, { file_id: f2 });
    expect(attached).toMatchObject({ id: f2, object: "assistant.file", assistant_id: a.id });
    await v1(t, AssistantFileV1, "POST", `/assistants/${a.id}/files`, { file_id: f3 });
    expect(await v1(t, AssistantFileV1, "POST", `/assistants/${a.id}/files`, { file_id: f2 })).toEqual(attached); // twice is once

    const all = await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${a.id}/files?order=asc`);
    expect(all.data.map((f) => f.id)).toEqual([f1, f2, f3]);
    expect((await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${a.id}/files`)).data.map((f) => f.id)).toEqual([f3, f2, f1]); // desc by default
    const first = await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${a.id}/files?order=asc&limit=1`);
    expect(first).toMatchObject({ first_id: f1, last_id: f1, has_more: true });
    const next = await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${a.id}/files?order=asc&limit=2&after=${f1}`);
    expect(next.data.map((f) => f.id)).toEqual([f2, f3]);
    expect(next.has_more).toBe(false);
    const before = await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${a.id}/files?order=asc&before=${f3}`);
    expect(before.data.map((f) => f.id)).toEqual([f1, f2]);
    expect(await v1(t, AssistantFileV1, "GET", `/assistants/${a.id}/files/${f2}`)).toEqual(attached);

    // One store for the assistant throughout: v2 sees the three files in it, and the assistant's v1 file_ids.
    const storeIds = (await t.client.beta.assistants.retrieve(a.id)).tool_resources!.file_search!.vector_store_ids!;
    expect(storeIds).toHaveLength(1);
    expect((await t.client.vectorStores.files.list(storeIds[0]!, { order: "asc" })).data.map((f) => f.id)).toEqual([f1, f2, f3]);

    const deleted = await v1Call(t, "DELETE", `/assistants/${a.id}/files/${f2}`);
    expect(await deleted.json()).toEqual({ id: f2, object: "assistant.file.deleted", deleted: true });
    expect((await v1(t, AssistantV1, "GET", `/assistants/${a.id}`)).file_ids).toEqual([f1, f3]);
    expect((await t.client.beta.assistants.retrieve(a.id)).tool_resources!.file_search!.vector_store_ids).toEqual(storeIds);
    await settle(t);
    expect((await t.client.vectorStores.files.list(storeIds[0]!, { order: "asc" })).data.map((f) => f.id)).toEqual([f1, f3]);
    await t.client.files.retrieve(f2); // detaching keeps the upload

    expect((await rawError(await v1Call(t, "GET", `/assistants/${a.id}/files/${f2}`), 404)).message).toContain(f2);
    expect((await rawError(await v1Call(t, "DELETE", `/assistants/${a.id}/files/${f2}`), 404)).message).toContain(f2);
    const badFile = await rawError(await v1Call(t, "POST", `/assistants/${a.id}/files`, { file_id: "file-nope" }), 400);
    expect(badFile).toMatchObject({ param: "file_id", code: "invalid_file_id" });
    expect((await rawError(await v1Call(t, "POST", `/assistants/asst_nope/files`, { file_id: f1 }), 404)).message).toContain("asst_nope");
    expect((await rawError(await v1Call(t, "GET", `/assistants/${a.id}/files?after=file-nope`), 400)).param).toBe("after");
  });

  it("at most 20 files per assistant, as in v1", async () => {
    const t = app();
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) ids.push(await text(t, `file ${i}`, `${i}.txt`));
    const a = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "retrieval" }], file_ids: ids.slice(0, 20) });
    const err = await rawError(await v1Call(t, "POST", `/assistants/${a.id}/files`, { file_id: ids[20] }), 400);
    expect(err.message).toContain("20");
    expect((await v1(t, AssistantV1, "GET", `/assistants/${a.id}`)).file_ids).toHaveLength(20);
  });

  it("threads and messages: no tool_resources, file_ids instead of attachments, and the message files endpoints", async () => {
    const t = app();
    const fileId = await text(t, "Sourdough rises with wild yeast.", "sourdough.txt");
    const thread = await v1(t, ThreadV1, "POST", "/threads", { messages: [{ role: "user", content: "hi", file_ids: [fileId] }], metadata: { k: "v" } });
    expect(thread.metadata).toEqual({ k: "v" });
    expect(await v1(t, ThreadV1, "GET", `/threads/${thread.id}`)).toEqual(thread);

    const messages = await v1(t, listOf(MessageV1), "GET", `/threads/${thread.id}/messages`);
    expect(messages.data[0]!.file_ids).toEqual([fileId]);
    const message = await v1(t, MessageV1, "POST", `/threads/${thread.id}/messages`, { role: "user", content: "more", file_ids: [fileId] });
    expect(message.file_ids).toEqual([fileId]);
    expect((await t.client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id })).attachments).toEqual([{ file_id: fileId, tools: [{ type: "file_search" }] }]);

    const files = await v1(t, listOf(MessageFileV1), "GET", `/threads/${thread.id}/messages/${message.id}/files`);
    expect(files.data).toEqual([{ id: fileId, object: "thread.message.file", created_at: message.created_at, message_id: message.id }]);
    expect(await v1(t, MessageFileV1, "GET", `/threads/${thread.id}/messages/${message.id}/files/${fileId}`)).toEqual(files.data[0]);
    expect((await rawError(await v1Call(t, "GET", `/threads/${thread.id}/messages/${message.id}/files/file-nope`), 404)).message).toContain("file-nope");
    expect((await rawError(await v1Call(t, "GET", `/threads/${thread.id}/messages/msg_nope/files`), 404)).message).toContain("msg_nope");
    // A message made over v2 with attachments reads over v1 with their file ids.
    const v2Message = await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "v2", attachments: [{ file_id: fileId, tools: [{ type: "code_interpreter" }] }] });
    expect((await v1(t, MessageV1, "GET", `/threads/${thread.id}/messages/${v2Message.id}`)).file_ids).toEqual([fileId]);
  });

  it("the tutorial's v1 flow end to end: a retrieval run, its steps as retrieval calls, a cited answer", async () => {
    const t = app();
    const file = await upload(t, pdf("federal-register-2020-17221.pdf"), "federal-register.pdf");
    const assistant = await v1(t, AssistantV1, "POST", "/assistants", {
      name: "FAA helper",
      instructions: "Answer from the documents.",
      model: "gpt-4-1106-preview",
      tools: [{ type: "retrieval" }],
      file_ids: [file.id],
    });
    await settle(t);
    const thread = await v1(t, ThreadV1, "POST", "/threads", {});
    await v1(t, MessageV1, "POST", `/threads/${thread.id}/messages`, { role: "user", content: "What does the proposed AD require for the 737 MAX?" });
    t.ollama.script(SEARCH, { text: "New flight control software [1]." });

    const queued = await v1(t, RunV1, "POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
    expect(queued.expires_at).toBeGreaterThan(queued.created_at); // an integer while the run can still expire
    expect(queued.tools).toEqual([{ type: "retrieval" }]);
    expect(queued.file_ids).toEqual([file.id]);
    const run = await pollV1(t, thread.id, queued.id);
    expect(run.status).toBe("completed");
    expect(run.expires_at).toBe(run.created_at + 600); // when it would have expired (RUN_EXPIRY_SECONDS), as v1 showed
    expect((await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).expires_at).toBeNull(); // v2: null once ended
    await v1(t, listOf(RunV1), "GET", `/threads/${thread.id}/runs`);

    const steps = await v1(t, listOf(RunStepV1), "GET", `/threads/${thread.id}/runs/${run.id}/steps?order=asc`);
    const toolStep = steps.data.find((s) => s.type === "tool_calls")!;
    expect(toolStep.step_details).toEqual({ type: "tool_calls", tool_calls: [{ id: expect.any(String), type: "retrieval", retrieval: {} }] });
    await v1(t, RunStepV1, "GET", `/threads/${thread.id}/runs/${run.id}/steps/${toolStep.id}`);

    const messages = await v1(t, listOf(MessageV1), "GET", `/threads/${thread.id}/messages`);
    const reply = messages.data[0]!;
    expect(reply.role).toBe("assistant");
    const part = reply.content[0]!;
    if (part.type !== "text") throw new Error("expected text");
    const citation = part.text.annotations[0]!;
    if (citation.type !== "file_citation") throw new Error("expected a file_citation");
    expect(citation.file_citation.file_id).toBe(file.id);
    expect(typeof citation.file_citation.quote).toBe("string");

    // The same run over v2: file_search, as stored.
    const asV2 = await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    expect(asV2.tools[0]!.type).toBe("file_search");
    expect((await v1(t, listOf(AssistantFileV1), "GET", `/assistants/${assistant.id}/files`)).data.map((f) => f.id)).toEqual([file.id]);
  });

  it("a streamed run's events carry v1 objects: runs, steps and step deltas with retrieval calls, messages", async () => {
    const t = app();
    const fileId = await text(t, "Saturn is the sixth planet from the Sun.", "saturn.txt");
    const assistant = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "retrieval" }], file_ids: [fileId] });
    await settle(t);
    t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query: "Saturn" } }] }, { text: "The sixth [1]." });
    const res = await v1Call(t, "POST", "/threads/runs", { assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "Which planet?" }] }, stream: true });
    const events = await readSse(res);
    expect(events.at(-1)!.event).toBe("done");
    const schemaOf = (event: string) =>
      event === "thread.created" ? ThreadV1
      : event.startsWith("thread.run.step.") && event !== "thread.run.step.delta" ? RunStepV1
      : event.startsWith("thread.run.") && !event.startsWith("thread.run.step") ? RunV1
      : event.startsWith("thread.message.") && event !== "thread.message.delta" ? MessageV1
      : null;
    let checked = 0;
    for (const e of events) {
      const schema = schemaOf(e.event);
      if (schema) {
        expectV1(schema, e.data);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(6);
    const deltaCalls = events.filter((e) => e.event === "thread.run.step.delta").flatMap((e) => e.data.delta.step_details?.tool_calls ?? []);
    expect(deltaCalls.length).toBeGreaterThan(0);
    for (const call of deltaCalls) expect(call).toEqual({ index: 0, id: expect.any(String), type: "retrieval", retrieval: {} });
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain("file_search");
  });

  it("tool_choice names retrieval in v1 (file_search in v2); v2-only run fields are left out", async () => {
    const t = app();
    const assistant = await v1(t, AssistantV1, "POST", "/assistants", { model: "gpt-4", tools: [{ type: "retrieval" }] });
    const thread = await v1(t, ThreadV1, "POST", "/threads", { messages: [{ role: "user", content: "hi" }] });
    t.ollama.script({ text: "hello" });
    const run = await v1(t, RunV1, "POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, tool_choice: { type: "retrieval" } });
    expect(run.tool_choice).toEqual({ type: "retrieval" });
    expect((await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).tool_choice).toEqual({ type: "file_search" });
    await pollV1(t, thread.id, run.id);
  });

  it("v2 stays the default; an unknown assistants version is refused", async () => {
    const t = app();
    const plain = await t.request("/v1/assistants", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4", tools: [{ type: "retrieval" }] }) });
    expect(await plain.json()).toMatchObject({ tools: [{ type: "file_search" }], tool_resources: {} });
    const err = await rawError(await t.request("/v1/assistants", { headers: { "OpenAI-Beta": "assistants=v3" } }), 400);
    expect(err.code).toBe("invalid_beta");
    const several = await t.request("/v1/assistants", { headers: { "OpenAI-Beta": "realtime=v1, assistants=v1" } });
    expectV1(listOf(AssistantV1), await several.json());
  });
});
