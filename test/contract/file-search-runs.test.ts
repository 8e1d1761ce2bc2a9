import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { expectMatchesSchema } from "../helpers/openapi.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { pdf, settle, upload, useVsApp } from "../helpers/vector-stores.js";

type Message = OpenAI.Beta.Threads.Message;
type FileSearchCall = OpenAI.Beta.Threads.Runs.FileSearchToolCall;
type ToolCallsDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;

const INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content" as const;
const QUESTION = "What does the proposed airworthiness directive require for the 737 MAX?";
const SEARCH = { toolCalls: [{ name: "file_search", arguments: { query: "737 MAX angle of attack sensor proposed AD requirements" } }] };

/** The seed flow: upload a PDF, put it in a store, an assistant with file_search on it, a thread asking. */
async function seedFlow(t: RunTestApp) {
  const file = await upload(t, pdf("federal-register-2020-17221.pdf"), "federal-register.pdf");
  const store = await t.client.vectorStores.create({ name: "FAA", file_ids: [file.id] });
  await settle(t);
  const assistant = await t.assistant({ tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
  const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: QUESTION }] });
  return { file, store, assistant, thread };
}

function textPart(message: Message): OpenAI.Beta.Threads.Text {
  const part = message.content[0];
  if (part?.type !== "text") throw new Error(`expected a text part, got ${JSON.stringify(part)}`);
  return part.text;
}

/** Every annotation is a file_citation of `fileId` whose indices slice the text to the annotation's text. */
function expectCitations(message: Message, fileId: string): OpenAI.Beta.Threads.FileCitationAnnotation[] {
  expectMatchesSchema(message, "MessageObject");
  const { value, annotations } = textPart(message);
  expect(annotations.length).toBeGreaterThan(0);
  for (const a of annotations) {
    expect(a.type).toBe("file_citation");
    const citation = a as OpenAI.Beta.Threads.FileCitationAnnotation;
    expect(citation.file_citation.file_id).toBe(fileId);
    expect(value.slice(citation.start_index, citation.end_index)).toBe(citation.text);
  }
  return annotations as OpenAI.Beta.Threads.FileCitationAnnotation[];
}

async function replyOf(t: RunTestApp, threadId: string): Promise<Message> {
  const messages = await t.client.beta.threads.messages.list(threadId, { limit: 1 });
  expect(messages.data[0]!.role).toBe("assistant");
  return messages.data[0]!;
}

describe("file_search in runs", () => {
  const app = useVsApp();

  it("the model's [n] markers become file_citation annotations in place", async () => {
    const t = app();
    const { file, assistant, thread } = await seedFlow(t);
    const reply = "It requires new flight control computer software [1] and revised AOA sensor procedures [2].";
    t.ollama.script(SEARCH, { text: reply });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    expect(run.status).toBe("completed");
    const message = await replyOf(t, thread.id);
    expect(textPart(message).value).toBe(reply);
    const annotations = expectCitations(message, file.id);
    expect(annotations.map((a) => a.text)).toEqual(["[1]", "[2]"]);
    expect(annotations[0]!.start_index).toBe(reply.indexOf("[1]"));
  });

  it("a reply without markers gets 【n†file, p. N】 appended; streamed deltas add up to the final text", async () => {
    const t = app();
    const { file, assistant, thread } = await seedFlow(t);
    const reply = "The directive would require installing new flight control computer software and revising the angle of attack sensor procedures.";
    t.ollama.script(SEARCH, { text: reply });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    let streamed = "";
    stream.on("textDelta", (delta) => (streamed += delta.value ?? ""));
    const run = await stream.finalRun();
    expect(run.status).toBe("completed");
    const message = await replyOf(t, thread.id);
    const { value } = textPart(message);
    expect(value.startsWith(reply)).toBe(true);
    expect(value.length).toBeGreaterThan(reply.length);
    expect(streamed).toBe(value);
    const annotations = expectCitations(message, file.id);
    for (const a of annotations) {
      expect(a.start_index).toBeGreaterThanOrEqual(reply.length);
      expect(a.text).toMatch(/^【\d+†federal-register\.pdf, p\. \d+】$/);
    }
    // What the stream's final message says is what GET says.
    expect(textPart((await stream.finalMessages()).at(-1)!).value).toBe(value);
    // And still says past the 100 ms of the throttled text writes: the markers' last delta left no write due
    // after the message was finished (it once rewrote it in_progress, without its annotations).
    await new Promise((resolve) => setTimeout(resolve, 250));
    const later = await t.client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    expect(later.status).toBe("completed");
    expect(textPart(later).annotations).toEqual(textPart(message).annotations);
  });

  it("the run step records the file_search call: ranking options, results, content only with include[]", async () => {
    const t = app();
    const { file, assistant, thread } = await seedFlow(t);
    t.ollama.script(SEARCH, { text: "Software and procedures." });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    const steps = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: "asc" });
    for (const step of steps.data) expectMatchesSchema(step, "RunStepObject");
    const toolStep = steps.data.find((s) => s.step_details.type === "tool_calls")!;
    const call = (toolStep.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
    expect(call.type).toBe("file_search");
    expect(call.id).toMatch(/^call_/);
    expect(call.file_search.ranking_options).toEqual({ ranker: "default_2024_08_21", score_threshold: 0 });
    expect((call.file_search as { query?: string }).query).toBe(SEARCH.toolCalls[0]!.arguments.query);
    const results = call.file_search.results!;
    expect(results.length).toBeGreaterThan(1);
    for (const r of results) {
      expect(r).toMatchObject({ file_id: file.id, file_name: "federal-register.pdf" });
      expect(r.score).toBeGreaterThan(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r).not.toHaveProperty("content");
    }

    const withContent = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: "asc", include: [INCLUDE_CONTENT] });
    const listed = (withContent.data.find((s) => s.id === toolStep.id)!.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
    expect(listed.file_search.results!.map((r) => r.content?.[0]?.type)).toEqual(results.map(() => "text"));
    const retrieved = await t.client.beta.threads.runs.steps.retrieve(toolStep.id, { thread_id: thread.id, run_id: run.id, include: [INCLUDE_CONTENT] });
    expectMatchesSchema(retrieved, "RunStepObject");
    expect(retrieved).toEqual(withContent.data.find((s) => s.id === toolStep.id));
    const plain = await t.client.beta.threads.runs.steps.retrieve(toolStep.id, { thread_id: thread.id, run_id: run.id });
    expect(plain).toEqual(toolStep);
  });

  it("the model is shown the passages labelled [1], [2] with file name and page", async () => {
    const t = app();
    const { assistant, thread } = await seedFlow(t);
    t.ollama.script(SEARCH, { text: "Noted." });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
    const first = t.ollama.chatRequests[0]!;
    expect(first.tools?.map((tool) => tool.function.name)).toContain("file_search");
    const second = t.ollama.chatRequests[1]!;
    // Its own call is replayed with the query it searched for (kept on the step as `query`, beyond v2).
    const call0 = second.messages.find((m) => m.role === "assistant" && m.tool_calls)!;
    expect(call0.tool_calls).toEqual([{ function: { name: "file_search", arguments: SEARCH.toolCalls[0]!.arguments } }]);
    const tool = second.messages.find((m) => m.role === "tool")!;
    expect(tool.tool_name).toBe("file_search");
    expect(tool.content).toMatch(/^\[1\] federal-register\.pdf \(page \d+\):\n/);
    expect(tool.content).toMatch(/\n\n\[2\] federal-register\.pdf \(page \d+\):\n/);
    expect(tool.content.replace(/\s+/g, " ")).toMatch(/angle of attack/i);
    // The step's results, in order, are the numbered passages.
    const steps = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: [INCLUDE_CONTENT] });
    const call = (steps.data.find((s) => s.step_details.type === "tool_calls")!.step_details as ToolCallsDetails).tool_calls[0] as FileSearchCall;
    const labels = [...tool.content.matchAll(/^\[(\d+)\] /gm)].map((m) => Number(m[1]));
    expect(labels).toEqual(call.file_search.results!.map((_, i) => i + 1));
  });
});
