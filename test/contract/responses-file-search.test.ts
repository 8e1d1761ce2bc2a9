/**
 * file_search in the Responses API: the same search and the same model-independent citations as runs, as
 * file_search_call items (results only with include[]) and file_citation annotations {file_id, filename, index}.
 */
import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { expectEventsSchema, expectResponseSchema } from "../helpers/responses.js";
import { storeOf, useVsApp } from "../helpers/vector-stores.js";

const SEARCH = { toolCalls: [{ name: "file_search", arguments: { query: "Titan atmosphere" } }] };
const ANSWER = { text: "Titan has a thick nitrogen atmosphere and lakes of liquid methane [1]." };

function messageOf(response: OpenAI.Responses.Response): OpenAI.Responses.ResponseOutputMessage {
  const message = response.output.find((o) => o.type === "message");
  if (!message) throw new Error(`no message in ${JSON.stringify(response.output)}`);
  return message;
}

describe("Responses API: file_search", () => {
  const app = useVsApp();

  it("searches the given stores, shows the model the passages, and cites the file the reply used", async () => {
    const t = app();
    const { store, ids } = await storeOf(t);
    t.ollama.script(SEARCH, ANSWER);
    const response = await t.client.responses.create({
      model: "gpt-4o",
      input: "What is Titan's atmosphere made of?",
      tools: [{ type: "file_search", vector_store_ids: [store.id] }],
    });
    expectResponseSchema(response);
    expect(response.status).toBe("completed");
    expect(response.output.map((o) => o.type)).toEqual(["file_search_call", "message"]);
    const call = response.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
    expect(call).toMatchObject({ status: "completed", queries: ["Titan atmosphere"], results: null });

    // The second model call saw the passage from saturn.txt as the tool's result.
    const second = t.ollama.chatRequests[1]!.messages;
    expect(second.at(-1)).toMatchObject({ role: "tool", tool_name: "file_search" });
    expect(second.at(-1)!.content).toMatch(/\[1\] saturn\.txt:[\s\S]*nitrogen atmosphere/);

    const text = messageOf(response).content[0] as OpenAI.Responses.ResponseOutputText;
    expect(text.annotations).toEqual([{ type: "file_citation", file_id: ids["saturn.txt"], filename: "saturn.txt", index: text.text.indexOf("[1]") + 3 }]);

    const withResults = await t.client.responses.retrieve(response.id, { include: ["file_search_call.results"] });
    expectResponseSchema(withResults);
    const results = (withResults.output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results!;
    expect(results[0]).toMatchObject({ file_id: ids["saturn.txt"], filename: "saturn.txt" });
    expect(results[0]!.text).toMatch(/Titan/);
  });

  it("appends a cited marker when the model writes none, and streams the search and the annotation", async () => {
    const t = app();
    const { store } = await storeOf(t);
    t.ollama.script(SEARCH, { text: "Titan has a thick nitrogen atmosphere with lakes of liquid methane." });
    const stream = t.client.responses.stream({
      model: "gpt-4o",
      input: "Titan?",
      tools: [{ type: "file_search", vector_store_ids: [store.id] }],
      include: ["file_search_call.results"],
    });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    expectEventsSchema(events);
    const types = events.map((e) => e.type);
    expect(types.slice(2, 7)).toEqual([
      "response.output_item.added",
      "response.file_search_call.in_progress",
      "response.file_search_call.searching",
      "response.file_search_call.completed",
      "response.output_item.done",
    ]);
    expect(types.indexOf("response.output_text.annotation.added")).toBeLessThan(types.indexOf("response.output_text.done"));
    const final = await stream.finalResponse();
    const text = messageOf(final).content[0] as OpenAI.Responses.ResponseOutputText;
    expect(text.text).toMatch(/【1†saturn\.txt】$/);
    expect(text.annotations).toHaveLength(1);
    // Streamed deltas add up to the final text (markers included).
    const deltas = events.filter((e) => e.type === "response.output_text.delta").map((e) => (e as unknown as { delta: string }).delta).join("");
    expect(deltas).toBe(text.text);
    expect((final.output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results?.length).toBeGreaterThan(0);
  });

  it("continues a file_search response with previous_response_id: the search and its passages are history", async () => {
    const t = app();
    const { store } = await storeOf(t);
    t.ollama.script(SEARCH, ANSWER, { text: "Methane." });
    const first = await t.client.responses.create({ model: "gpt-4o", input: "Titan?", tools: [{ type: "file_search", vector_store_ids: [store.id] }] });
    await t.client.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "Its lakes?" });
    const history = t.ollama.chatRequests[2]!.messages;
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(history[2]!.content).toMatch(/nitrogen/);
  });

  it("ranking_options take the Responses API's ranker names; score_threshold 1 leaves no passage", async () => {
    const t = app();
    const { store } = await storeOf(t);
    t.ollama.script(SEARCH, { text: "Nothing found." });
    const response = await t.client.responses.create({
      model: "gpt-4o",
      input: "Titan?",
      tools: [{ type: "file_search", vector_store_ids: [store.id], ranking_options: { ranker: "default-2024-11-15", score_threshold: 1 } }],
      include: ["file_search_call.results"],
    });
    expectResponseSchema(response);
    expect((response.output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results).toEqual([]);
  });

  it("its items given back as input (history managed by hand) are replayed to the model with the results they carry", async () => {
    const t = app();
    const { store } = await storeOf(t);
    t.ollama.script(SEARCH, ANSWER, { text: "Methane lakes." });
    const first = await t.client.responses.create({
      model: "gpt-4o",
      input: "Titan's atmosphere?",
      tools: [{ type: "file_search", vector_store_ids: [store.id] }],
      include: ["file_search_call.results"],
    });
    await t.client.responses.create({
      model: "gpt-4o",
      input: [{ role: "user", content: "Titan's atmosphere?" }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "And its lakes?" }],
      tools: [{ type: "file_search", vector_store_ids: [store.id] }],
    });
    const history = t.ollama.chatRequests[2]!.messages;
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    expect(history[2]!.content).toMatch(/nitrogen/);
  });
});
