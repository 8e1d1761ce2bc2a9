/**
 * The Conversations API through the openai SDK: create (with items), retrieve, update, delete, list (beyond the
 * hosted API), items add / list (cursors) / retrieve / delete, and responses made in a conversation — its items
 * come first, its input and output are added when the response ends, one response at a time. Every object is
 * checked against responses.openapi.json.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError, InternalServerError, NotFoundError, toFile } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { useRunApp } from "../helpers/runs.js";

const textOf = (item: unknown) => ((item as { content: { text: string }[] }).content[0]!).text;

describe("conversations", () => {
  const app = useRunApp();

  it("creates with items and metadata, retrieves, updates, lists its items and deletes", async () => {
    const t = app();
    const conversation = await t.client.conversations.create({
      metadata: { topic: "demo" },
      items: [
        { type: "message", role: "system", content: "Be brief." },
        { type: "message", role: "user", content: "Hello!" },
      ],
    });
    expectMatchesResponsesSchema(conversation, "ConversationResource");
    expect(conversation).toMatchObject({ object: "conversation", metadata: { topic: "demo" } });
    expect(conversation.id).toMatch(/^conv_/);
    expect(await t.client.conversations.retrieve(conversation.id)).toEqual(conversation);

    const updated = await t.client.conversations.update(conversation.id, { metadata: { topic: "changed" } });
    expect(updated.metadata).toEqual({ topic: "changed" });

    const added = await t.client.conversations.items.create(conversation.id, { items: [{ type: "message", role: "user", content: "More." }] });
    expectMatchesResponsesSchema(added, "ConversationItemList");
    expect(added.data.map(textOf)).toEqual(["More."]);

    const newestFirst = await t.client.conversations.items.list(conversation.id);
    expectMatchesResponsesSchema(wireBody(newestFirst), "ConversationItemList");
    expect(newestFirst.data.map(textOf)).toEqual(["More.", "Hello!", "Be brief."]);
    const page = await t.client.conversations.items.list(conversation.id, { order: "asc", limit: 2 });
    expect(page.data.map(textOf)).toEqual(["Be brief.", "Hello!"]);
    expect(page.has_more).toBe(true);
    const rest = await t.client.conversations.items.list(conversation.id, { order: "asc", after: page.data[1]!.id });
    expect(rest.data.map(textOf)).toEqual(["More."]);

    const one = await t.client.conversations.items.retrieve(page.data[1]!.id!, { conversation_id: conversation.id });
    expectMatchesResponsesSchema(one, "ConversationItem");
    expect(textOf(one)).toBe("Hello!");
    const after = await t.client.conversations.items.delete(page.data[1]!.id!, { conversation_id: conversation.id });
    expect(after.id).toBe(conversation.id);
    expect((await t.client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual(["Be brief.", "More."]);
    await sdkError(t.client.conversations.items.retrieve(page.data[1]!.id!, { conversation_id: conversation.id }), NotFoundError);

    const deleted = await t.client.conversations.delete(conversation.id);
    expectMatchesResponsesSchema(deleted, "DeletedConversationResource");
    expect(deleted).toEqual({ id: conversation.id, object: "conversation.deleted", deleted: true });
    await sdkError(t.client.conversations.retrieve(conversation.id), NotFoundError);
    await sdkError(t.client.conversations.items.list(conversation.id), NotFoundError);
  });

  it("lists conversations newest first with cursors (beyond the hosted API)", async () => {
    const t = app();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await t.client.conversations.create({ metadata: { n: String(i) } })).id);
    const res = await t.request("/v1/conversations?limit=2");
    const body = (await res.json()) as { data: { id: string }[]; has_more: boolean; last_id: string };
    expect(body.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(body.has_more).toBe(true);
    const rest = (await (await t.request(`/v1/conversations?after=${body.last_id}`)).json()) as { data: { id: string }[] };
    expect(rest.data.map((c) => c.id)).toEqual([ids[0]]);
  });

  it("a response in a conversation reads its items first and adds its input and output when it ends", async () => {
    const t = app();
    const conversation = await t.client.conversations.create({ items: [{ type: "message", role: "user", content: "My name is Ada." }] });
    t.ollama.script({ text: "Your name is Ada." }, { text: "You asked for your name." });
    const first = await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "What is my name?" });
    expectResponseSchema(first);
    expect(first.conversation).toEqual({ id: conversation.id });
    expect(t.ollama.chatRequests[0]!.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "user", content: "What is my name?" },
    ]);
    const items = await t.client.conversations.items.list(conversation.id, { order: "asc" });
    expect(items.data.map((i) => [i.type, (i as { role?: string }).role])).toEqual([
      ["message", "user"],
      ["message", "user"],
      ["message", "assistant"],
    ]);
    expect(items.data[2]!.id).toBe(first.output[0]!.id);

    // The next response, streamed, in the same conversation ({id} form) sees all of it.
    const stream = t.client.responses.stream({ model: "gpt-4o", conversation: { id: conversation.id }, input: "What did I ask?" });
    for await (const _event of stream) {
      // drain
    }
    expect((await stream.finalResponse()).output_text).toBe("You asked for your name.");
    expect(t.ollama.chatRequests[1]!.messages.map((m) => m.content)).toEqual(["My name is Ada.", "What is my name?", "Your name is Ada.", "What did I ask?"]);
    expect((await t.client.conversations.items.list(conversation.id)).data).toHaveLength(5);

    // An output item given back unchanged is already there (not added twice); an edited one with the same id is
    // refused by name rather than silently dropped.
    const reply = first.output[0]! as OpenAI.Responses.ResponseOutputMessage;
    t.ollama.script({ text: "Still Ada." });
    await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: [reply, { role: "user", content: "Sure?" }] });
    expect((await t.client.conversations.items.list(conversation.id)).data).toHaveLength(7);
    expect(t.ollama.chatRequests.at(-1)!.messages.map((m) => m.content)).toEqual(["My name is Ada.", "What is my name?", "Your name is Ada.", "What did I ask?", "You asked for your name.", "Sure?"]);
    const edited = { ...reply, content: [{ ...reply.content[0]!, text: "Your name is Grace." } as OpenAI.Responses.ResponseOutputText] };
    const clash = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: [edited] }), BadRequestError);
    expect(clash).toMatchObject({ param: "input[0]", code: "duplicate_item" });
    expect((await t.client.conversations.items.list(conversation.id)).data).toHaveLength(7);
    t.ollama.script({ text: "ok" });
    expect((await t.client.responses.create({ model: "gpt-4o", input: "alone" })).conversation).toBeNull();

    // Counting input tokens reads the conversation's items too (and holds nothing).
    const alone = await t.client.responses.inputTokens.count({ model: "gpt-4o", input: "Next?" });
    const inConversation = await t.client.responses.inputTokens.count({ model: "gpt-4o", conversation: conversation.id, input: "Next?" });
    expect(inConversation.input_tokens).toBeGreaterThan(alone.input_tokens + 10);
  });

  it("a failed response adds nothing; a second response while one runs is refused, as runs are", async () => {
    const t = app();
    const conversation = await t.client.conversations.create();
    t.ollama.script({ errorLine: "model crashed" });
    const failed = await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "hi" });
    expect(failed.status).toBe("failed");
    expect((await t.client.conversations.items.list(conversation.id)).data).toEqual([]);

    t.ollama.script({ chunks: ["slow", " reply"], delayMs: 150 });
    const running = t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "first" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const busy = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "second" }), BadRequestError);
    expect(busy).toMatchObject({ param: "conversation", code: "conversation_locked" });
    const addWhileBusy = await sdkError(t.client.conversations.items.create(conversation.id, { items: [{ type: "message", role: "user", content: "x" }] }), BadRequestError);
    expect(addWhileBusy.code).toBe("conversation_locked");
    expect((await running).output_text).toBe("slow reply");
    expect((await t.client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual(["first", "slow reply"]);
  });

  it("a response whose last write fails still frees its conversation: the next response there is not refused", async () => {
    const t = app();
    const conversation = await t.client.conversations.create();
    // The store refuses the failed response's writes (a full disk, say) until the test lifts it.
    const responses = t.services.repos.responses;
    const update = responses.update.bind(responses);
    let refused = 0;
    let full = true;
    responses.update = (response) => {
      if (response.status !== "failed" || !full) return update(response);
      refused++;
      throw new Error("disk I/O error");
    };
    t.ollama.script({ errorLine: "model crashed" });
    await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "hi", background: true });
    for (const deadline = Date.now() + 5000; refused < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(refused).toBeGreaterThanOrEqual(2); // its failure, and the write of that failure's failure
    await new Promise((resolve) => setTimeout(resolve, 20)); // past the response's end
    full = false;

    t.ollama.script({ text: "Back again." });
    const next = await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "Are you there?" });
    expect(next.status).toBe("completed");
    expect((await t.client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual(["Are you there?", "Back again."]);

    // A plain request's response is stored once, as it ended: when that write fails, the request answers a 500,
    // and the conversation takes nothing of it (nothing was kept) but is free again.
    const insert = responses.insert.bind(responses);
    responses.insert = () => {
      throw new Error("disk I/O error");
    };
    t.ollama.script({ text: "Lost." });
    const lost = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "Still?" }), InternalServerError);
    expect(lost.status).toBe(500);
    responses.insert = insert;
    t.ollama.script({ text: "Here." });
    expect((await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "Now?" })).output_text).toBe("Here.");
    expect((await t.client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual(["Are you there?", "Back again.", "Now?", "Here."]);
  });

  it("refuses what cannot be, naming the field", async () => {
    const t = app();
    const conversation = await t.client.conversations.create();
    t.ollama.script({ text: "ok" });
    const previous = await t.client.responses.create({ model: "gpt-4o", input: "hi" });
    const both = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, previous_response_id: previous.id, input: "x" }), BadRequestError);
    expect(both.param).toBe("previous_response_id");
    const missing = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: "conv_missing", input: "x" }), BadRequestError);
    expect(missing).toMatchObject({ param: "conversation", code: "conversation_not_found" });
    const tooMany = Array.from({ length: 21 }, () => ({ type: "message" as const, role: "user" as const, content: "x" }));
    expect((await sdkError(t.client.conversations.create({ items: tooMany }), BadRequestError)).param).toBe("items");
    expect((await sdkError(t.client.conversations.items.create(conversation.id, { items: tooMany }), BadRequestError)).param).toBe("items");
    const item = (await t.client.conversations.items.create(conversation.id, { items: [{ type: "message", role: "user", content: "x" }] })).data[0]!;
    const again = await sdkError(t.client.conversations.items.create(conversation.id, { items: [{ ...(item as OpenAI.Conversations.Message), content: "y" } as never] }), BadRequestError);
    expect(again).toMatchObject({ param: "items[0]", code: "duplicate_item" });
    // The same id twice in one request is a 400 (items are stored by id), and the conversation stays usable.
    const twice = [{ type: "message" as const, id: "msg_same", status: "completed" as const, role: "user" as const, content: [{ type: "input_text" as const, text: "a" }] }];
    const doubled = await sdkError(t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: [...twice, ...twice] as never }), BadRequestError);
    expect(doubled).toMatchObject({ param: "input[1]", code: "duplicate_item" });
    expect((await sdkError(t.client.conversations.create({ items: [...twice, ...twice] as never }), BadRequestError)).param).toBe("items[1]");
    t.ollama.script({ text: "still free" });
    expect((await t.client.responses.create({ model: "gpt-4o", conversation: conversation.id, input: "hi" })).output_text).toBe("still free");
    // A document given by file id (filename null, as items show it) can be given back, as an export/import does.
    const doc = await t.client.files.create({ file: await toFile(Buffer.from("notes"), "n.txt"), purpose: "user_data" });
    const withFile = await t.client.conversations.items.create(conversation.id, { items: [{ type: "message", role: "user", content: [{ type: "input_file", file_id: doc.id }] }] });
    await t.client.conversations.create({ items: withFile.data as never });
    await sdkError(t.client.conversations.update("conv_missing", { metadata: {} }), NotFoundError);
    await sdkError(t.client.conversations.items.delete("msg_missing", { conversation_id: conversation.id }), NotFoundError);
    expect(t.ollama.chatRequests).toHaveLength(2);
  });
});
