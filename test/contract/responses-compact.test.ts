/**
 * POST /v1/responses/compact through the openai SDK: a conversation (a stored chain or items given as input)
 * becomes its user messages and one compaction item whose summary the model wrote; sent back as input, the
 * model sees the summary instead of the turns it replaced. Compactions made elsewhere are a 400 naming the field.
 */
import { describe, expect, it } from "vitest";
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { useRunApp } from "../helpers/runs.js";

describe("compacting a conversation", () => {
  const app = useRunApp();

  it("compacts a stored chain into its user messages and a summary the model wrote; sent back, it replaces the turns", async () => {
    const t = app();
    t.ollama.script({ text: "Nice to meet you, Ada." }, { text: "You like tea." }, { text: "Ada likes tea; she asked what she likes." });
    const first = await t.client.responses.create({ model: "gpt-4o", input: "My name is Ada and I like tea." });
    const second = await t.client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "What do I like?" });

    const compacted = await t.client.responses.compact({ model: "gpt-4o", previous_response_id: second.id });
    expectMatchesResponsesSchema(compacted, "CompactResource");
    expect(compacted.object).toBe("response.compaction");
    expect(compacted.output.map((o) => o.type)).toEqual(["message", "message", "compaction"]);
    expect(compacted.output.slice(0, 2).map((o) => ((o as OpenAI.Responses.ResponseOutputMessage).content[0] as unknown as { text: string }).text)).toEqual([
      "My name is Ada and I like tea.",
      "What do I like?",
    ]);
    const compaction = compacted.output[2] as OpenAI.Responses.ResponseCompactionItem;
    expect(compaction.id).toMatch(/^cmp_/);
    expect(compaction.encrypted_content).not.toContain("Ada"); // opaque, not the summary in clear
    expect(compacted.usage.output_tokens).toBeGreaterThan(0);
    // The model was asked for the summary after the whole conversation.
    const asked = t.ollama.chatRequests[2]!.messages;
    expect(asked.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(asked.at(-1)!.content).toMatch(/^Compact the conversation above/);
    expect(asked.at(-1)!.content).not.toContain("Ada");

    t.ollama.script({ text: "Tea, Ada." });
    const next = await t.client.responses.create({
      model: "gpt-4o",
      input: [...(compacted.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Remind me." }],
    });
    expectResponseSchema(next);
    expect(next.output_text).toBe("Tea, Ada.");
    const sent = t.ollama.chatRequests[3]!.messages;
    expect(sent).toEqual([
      { role: "user", content: "My name is Ada and I like tea." },
      { role: "user", content: "What do I like?" },
      { role: "system", content: "Summary of the earlier conversation (compacted):\nAda likes tea; she asked what she likes." },
      { role: "user", content: "Remind me." },
    ]);
    const items = await t.client.responses.inputItems.list(next.id, { order: "asc" });
    expectMatchesResponsesSchema(wireBody(items), "ResponseItemList");
    expect(items.data[2]).toMatchObject({ type: "compaction", encrypted_content: compaction.encrypted_content });
  });

  it("compacts items given as input, folding an earlier compaction into the new summary", async () => {
    const t = app();
    t.ollama.script({ text: "First summary." }, { text: "Second summary." });
    const once = await t.client.responses.compact({
      model: "gpt-4o",
      input: [
        { role: "user", content: "Plan a trip to Oslo." },
        { type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Fly on Friday.", annotations: [] }] },
      ],
    });
    const twice = await t.client.responses.compact({ model: "gpt-4o", input: [...(once.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "And back?" }] });
    expect(twice.output.map((o) => o.type)).toEqual(["message", "message", "compaction"]);
    expect(t.ollama.chatRequests[1]!.messages).toContainEqual({ role: "system", content: "Summary of the earlier conversation (compacted):\nFirst summary." });
  });

  it("refuses a compaction it did not make, nothing to compact, and an unknown model", async () => {
    const t = app();
    const foreign = await sdkError(
      t.client.responses.create({ model: "gpt-4o", input: [{ type: "compaction", encrypted_content: "gAAAAB-not-ours" }, { role: "user", content: "q" }] }),
      BadRequestError,
    );
    expect(foreign.param).toBe("input[0].encrypted_content");
    const empty = await sdkError(t.client.responses.compact({ model: "gpt-4o" }), BadRequestError);
    expect(empty.param).toBe("input");
    const noModel = await sdkError(t.client.responses.compact({ input: "hi" } as never), BadRequestError);
    expect(noModel).toMatchObject({ param: "model", code: "missing_required_parameter" });
    expect(t.ollama.chatRequests).toHaveLength(0);
    const missing = await sdkError(t.client.responses.compact({ model: "no-such-model", input: "hi" }), NotFoundError);
    expect(missing.code).toBe("model_not_found");
  });
});
