import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { expectMatchesSchema } from "../helpers/openapi.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { DOCS, settle, uploadAll, useVsApp } from "../helpers/vector-stores.js";

type FileSearchCall = OpenAI.Beta.Threads.Runs.FileSearchToolCall;
type ToolCallsDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;

/** Runs the assistant on the thread with a scripted file_search call; returns the file ids it found, best first. */
async function fileSearchFinds(t: RunTestApp, threadId: string, assistantId: string, query: string): Promise<string[]> {
  t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query } }] }, { text: "Done." });
  const run = await t.client.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId }, { pollIntervalMs: 5 });
  expect(run.status).toBe("completed");
  const steps = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: threadId });
  const toolStep = steps.data.find((s) => s.step_details.type === "tool_calls")!;
  expectMatchesSchema(toolStep, "RunStepObject");
  const call = (toolStep.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
  expect(call.type).toBe("file_search");
  return call.file_search.results!.map((r) => r.file_id);
}

async function threadStoreOf(t: RunTestApp, threadId: string): Promise<string> {
  const thread = await t.client.beta.threads.retrieve(threadId);
  expectMatchesSchema(thread, "ThreadObject");
  const ids = thread.tool_resources?.file_search?.vector_store_ids ?? [];
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe("file_search through attachments and v1 shapes", () => {
  const app = useVsApp({ EMBEDDING_MODEL: "" });

  it("a message attachment for file_search gives the thread a vector store the run searches", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const assistant = await t.assistant({ tools: [{ type: "file_search" }] });
    const thread = await t.client.beta.threads.create();
    expect(thread.tool_resources?.file_search).toBeUndefined();
    const message = await t.client.beta.threads.messages.create(thread.id, {
      role: "user",
      content: "What is on Titan?",
      attachments: [{ file_id: ids["saturn.txt"]!, tools: [{ type: "file_search" }] }],
    });
    expectMatchesSchema(message, "MessageObject");
    expect(message.attachments).toEqual([{ file_id: ids["saturn.txt"], tools: [{ type: "file_search" }] }]);
    const storeId = await threadStoreOf(t, thread.id);
    const store = await t.client.vectorStores.retrieve(storeId);
    expect(store.file_counts.total).toBe(1);
    // A second attachment joins the same store.
    await t.client.beta.threads.messages.create(thread.id, {
      role: "user",
      content: "And bread?",
      attachments: [{ file_id: ids["sourdough.txt"]!, tools: [{ type: "file_search" }, { type: "code_interpreter" }] }],
    });
    expect(await threadStoreOf(t, thread.id)).toBe(storeId);
    await settle(t);
    expect((await t.client.vectorStores.retrieve(storeId)).file_counts).toMatchObject({ completed: 2, total: 2 });
    expect((await fileSearchFinds(t, thread.id, assistant.id, "Titan methane lakes"))[0]).toBe(ids["saturn.txt"]);
    expect(await fileSearchFinds(t, thread.id, assistant.id, "volcanoes magma")).not.toContain(ids["volcanoes.txt"]);
  });

  it("attachments on the messages of a new thread; code_interpreter-only attachments make no store", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const assistant = await t.assistant({ tools: [{ type: "file_search" }] });
    const thread = await t.client.beta.threads.create({
      messages: [{ role: "user", content: "Volcanoes?", attachments: [{ file_id: ids["volcanoes.txt"]!, tools: [{ type: "file_search" }] }] }],
    });
    await threadStoreOf(t, thread.id);
    // The run waits for files still being indexed: no settle() here.
    expect((await fileSearchFinds(t, thread.id, assistant.id, "pyroclastic flows"))[0]).toBe(ids["volcanoes.txt"]);
    const plain = await t.client.beta.threads.create({
      messages: [{ role: "user", content: "x", attachments: [{ file_id: ids["saturn.txt"]!, tools: [{ type: "code_interpreter" }] }] }],
    });
    expect((await t.client.beta.threads.retrieve(plain.id)).tool_resources?.file_search).toBeUndefined();
  });

  it("v1: tools [{type: retrieval}] is stored as file_search; file_ids on create and modify are searched", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const assistant = await t.client.beta.assistants.create({
      model: "gpt-4-1106-preview",
      tools: [{ type: "retrieval" }],
      file_ids: [ids["saturn.txt"], ids["volcanoes.txt"]],
    } as any);
    expectMatchesSchema(assistant, "AssistantObject");
    expect(assistant.tools).toEqual([{ type: "file_search", file_search: { ranking_options: { ranker: "default_2024_08_21", score_threshold: 0 } } }]);
    const storeIds = assistant.tool_resources?.file_search?.vector_store_ids ?? [];
    expect(storeIds).toHaveLength(1);
    const files = await t.client.vectorStores.files.list(storeIds[0]!);
    expect(files.data.map((f) => f.id).sort()).toEqual([ids["saturn.txt"], ids["volcanoes.txt"]].sort());
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "Titan?" }] });
    expect((await fileSearchFinds(t, thread.id, assistant.id, "Titan Cassini"))[0]).toBe(ids["saturn.txt"]);

    const storesBefore = (await t.client.vectorStores.list()).data.map((s) => s.id);
    const modified = await t.client.beta.assistants.update(assistant.id, { file_ids: [ids["sourdough.txt"], ids["volcanoes.txt"]] } as any);
    expectMatchesSchema(modified, "AssistantObject");
    // The store made for the v1 file_ids is updated in place: same store, exactly the new files, none left behind.
    expect(modified.tool_resources!.file_search!.vector_store_ids).toEqual(storeIds);
    expect((await t.client.vectorStores.list()).data.map((s) => s.id)).toEqual(storesBefore);
    const listed = await t.client.vectorStores.files.list(storeIds[0]!);
    expect(listed.data.map((f) => f.id).sort()).toEqual([ids["sourdough.txt"], ids["volcanoes.txt"]].sort());
    expect((await fileSearchFinds(t, thread.id, assistant.id, "sourdough starter yeast"))[0]).toBe(ids["sourdough.txt"]);
    expect(await fileSearchFinds(t, thread.id, assistant.id, "Titan Cassini")).not.toContain(ids["saturn.txt"]);
    // A request refused for another reason changes nothing.
    const refused = await t.client.beta.assistants
      .update(assistant.id, { file_ids: [ids["saturn.txt"]], tool_resources: { code_interpreter: { file_ids: ["file-missing"] } } } as any)
      .catch((e: unknown) => e);
    expect((refused as { status?: number }).status).toBe(400);
    const unchanged = await t.client.vectorStores.files.list(storeIds[0]!);
    expect(unchanged.data.map((f) => f.id).sort()).toEqual([ids["sourdough.txt"], ids["volcanoes.txt"]].sort());
    // An empty list empties it.
    await t.client.beta.assistants.update(assistant.id, { file_ids: [] } as any);
    expect((await t.client.vectorStores.files.list(storeIds[0]!)).data).toEqual([]);
  });

  it("v1: file_ids on modify leave a store the user attached alone and attach a new one", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const own = await t.client.vectorStores.create({ file_ids: [ids["saturn.txt"]!] });
    const assistant = await t.client.beta.assistants.create({
      model: "gpt-4o",
      tools: [{ type: "file_search" }],
      tool_resources: { file_search: { vector_store_ids: [own.id] } },
    });
    const modified = await t.client.beta.assistants.update(assistant.id, { file_ids: [ids["sourdough.txt"]] } as any);
    const [storeId] = modified.tool_resources!.file_search!.vector_store_ids!;
    expect(storeId).not.toBe(own.id);
    expect((await t.client.vectorStores.files.list(storeId!)).data.map((f) => f.id)).toEqual([ids["sourdough.txt"]]);
    expect((await t.client.vectorStores.files.list(own.id)).data.map((f) => f.id)).toEqual([ids["saturn.txt"]]);
  });

  it("v1: file_ids on a message become a file_search attachment in the thread's store", async () => {
    const t = app();
    const ids = await uploadAll(t, DOCS);
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4-1106-preview", tools: [{ type: "retrieval" }] } as any);
    const thread = await t.client.beta.threads.create();
    const message = await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "Bread?", file_ids: [ids["sourdough.txt"]] } as any);
    expectMatchesSchema(message, "MessageObject");
    expect(message.attachments).toEqual([{ file_id: ids["sourdough.txt"], tools: [{ type: "file_search" }] }]);
    const storeId = await threadStoreOf(t, thread.id);
    expect((await t.client.vectorStores.files.list(storeId)).data.map((f) => f.id)).toEqual([ids["sourdough.txt"]]);
    expect((await fileSearchFinds(t, thread.id, assistant.id, "lactic acid bacteria starter"))[0]).toBe(ids["sourdough.txt"]);
  });
});
