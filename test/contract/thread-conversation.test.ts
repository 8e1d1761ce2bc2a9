/**
 * The bridge from the Assistants API: a thread made and run with the Assistants endpoints is read as a
 * conversation (its messages and its run's tool calls as items, in order) and continued with the Responses
 * API (`conversation: "thread_..."`), whose messages then show in the thread through the Assistants endpoints.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { useRunApp, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";

describe("an Assistants thread as a conversation", () => {
  const app = useRunApp();

  async function threadWithToolRun(t: ReturnType<ReturnType<typeof useRunApp>>) {
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
    const thread = await t.client.beta.threads.create({ metadata: { app: "legacy" }, messages: [{ role: "user", content: "Weather in Oslo?" }] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "It is 3 degrees in Oslo." });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const waiting = await waitForRun(t.client, thread.id, run.id);
    const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    await t.client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: callId, output: "3 C" }] });
    expect((await waitForRun(t.client, thread.id, run.id)).status).toBe("completed");
    return { assistant, thread, callId };
  }

  it("reads the thread's messages and its run's tool calls as items, in the order they happened", async () => {
    const t = app();
    const { thread, callId } = await threadWithToolRun(t);
    const conversation = await t.client.conversations.retrieve(thread.id);
    expectMatchesResponsesSchema(conversation, "ConversationResource");
    expect(conversation).toEqual({ id: thread.id, object: "conversation", created_at: thread.created_at, metadata: { app: "legacy" } });

    const items = await t.client.conversations.items.list(thread.id, { order: "asc" });
    expectMatchesResponsesSchema(wireBody(items), "ConversationItemList");
    expect(items.data.map((i) => i.type)).toEqual(["message", "function_call", "function_call_output", "message"]);
    expect(items.data[0]).toMatchObject({ role: "user", content: [{ type: "input_text", text: "Weather in Oslo?" }] });
    expect(items.data[1]).toMatchObject({ call_id: callId, name: "get_weather", arguments: '{"city":"Oslo"}' });
    expect(items.data[2]).toMatchObject({ call_id: callId, output: "3 C" });
    expect(items.data[3]).toMatchObject({ role: "assistant", content: [{ type: "output_text", text: "It is 3 degrees in Oslo." }] });
    const one = await t.client.conversations.items.retrieve(items.data[3]!.id!, { conversation_id: thread.id });
    expect(one).toEqual(items.data[3]);
  });

  it("a response continues the thread: it reads the thread first, and its messages show through the Assistants API", async () => {
    const t = app();
    const { thread } = await threadWithToolRun(t);
    t.ollama.script({ text: "Tomorrow it will be 5 degrees." });
    const response = await t.client.responses.create({ model: "gpt-4o", conversation: thread.id, input: "And tomorrow?" });
    expectResponseSchema(response);
    expect(response.conversation).toEqual({ id: thread.id });
    const history = t.ollama.chatRequests.at(-1)!.messages;
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(history.at(-1)!.content).toBe("And tomorrow?");

    const messages = await t.client.beta.threads.messages.list(thread.id, { order: "asc" });
    const texts = messages.data.map((m) => [m.role, (m.content[0] as OpenAI.Beta.Threads.TextContentBlock).text.value]);
    expect(texts).toEqual([
      ["user", "Weather in Oslo?"],
      ["assistant", "It is 3 degrees in Oslo."],
      ["user", "And tomorrow?"],
      ["assistant", "Tomorrow it will be 5 degrees."],
    ]);
    // And the Assistants API can carry on from there: a run sees the turns the response added.
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
    t.ollama.script({ text: "Bring a coat." });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect((await waitForRun(t.client, thread.id, run.id)).status).toBe("completed");
    expect(t.ollama.chatRequests.at(-1)!.messages.map((m) => m.content)).toContain("Tomorrow it will be 5 degrees.");
  });

  it("updates the thread's metadata; a run holding the thread refuses a response; deleting is left to the Assistants API", async () => {
    const t = app();
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "hi" }] });
    await t.client.conversations.update(thread.id, { metadata: { moved: "yes" } });
    expect((await t.client.beta.threads.retrieve(thread.id)).metadata).toEqual({ moved: "yes" });

    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
    t.ollama.script({ chunks: ["slow", " one"], delayMs: 150 });
    const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const busy = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: thread.id, input: "x" }), BadRequestError);
    expect(busy).toMatchObject({ param: "conversation", code: "conversation_locked" });
    await waitForRun(t.client, thread.id, run.id);

    // And the other way round: while a response holds the thread, a run and a new message are refused.
    t.ollama.script({ chunks: ["slow", " answer"], delayMs: 150 });
    const responding = t.client.responses.create({ model: "gpt-4o", conversation: thread.id, input: "long question" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await sdkError(t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }), BadRequestError)).code).toBe("conversation_locked");
    expect((await sdkError(t.client.beta.threads.messages.create(thread.id, { role: "user", content: "x" }), BadRequestError)).code).toBe("conversation_locked");
    expect((await responding).output_text).toBe("slow answer");
    await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "after" }); // released

    // Items added to a thread directly: messages only, answered as the items they became.
    const added = await t.client.conversations.items.create(thread.id, { items: [{ type: "message", role: "user", content: "added as an item" }] });
    expect(added.data).toEqual([expect.objectContaining({ type: "message", role: "user", content: [{ type: "input_text", text: "added as an item" }] })]);
    const refused = await sdkError(t.client.conversations.items.create(thread.id, { items: [{ type: "message", role: "developer", content: "x" }] }), BadRequestError);
    expect(refused.param).toBe("items[0]");

    expect((await sdkError(t.client.conversations.delete(thread.id), BadRequestError)).code).toBe("thread_conversation");
    expect((await t.client.beta.threads.retrieve(thread.id)).id).toBe(thread.id);
    const missing = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: "thread_missing", input: "x" }), BadRequestError);
    expect(missing.code).toBe("conversation_not_found");
  });
});
