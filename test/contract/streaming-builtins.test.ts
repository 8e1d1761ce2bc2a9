import { describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { codeInterpreterTool } from "../../src/tools/code-interpreter.js";
import { fileSearchTool } from "../../src/tools/file-search.js";
import { names, parseSse, postStream, seed, stepsOf, useRunApp } from "../helpers/runs.js";
import { expectMatchesSchema } from "../helpers/openapi.js";

type ToolCallsDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;

/** Stand-ins for the sandbox and retrieval, so these tests see only what the run engine streams. */
const tools = [
  codeInterpreterTool({ run: async (_scope, code) => ({ outputs: [{ type: "logs", logs: `ran ${code.length} chars` }] }) }),
  fileSearchTool({
    search: async () => ({
      results: [{ file_id: "file-abc", file_name: "notes.txt", score: 0.9, content: [{ type: "text", text: "The secret is 7." }] }],
    }),
  }),
];

describe("streaming: built-in tool steps (code_interpreter, file_search)", () => {
  const app = useRunApp({}, {}, { tools });

  it("code_interpreter: the SDK accumulates the call and its outputs exactly as stored", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "compute", { tools: [{ type: "code_interpreter" }] });
    t.ollama.script({ toolCalls: [{ name: "code_interpreter", arguments: { code: "1+1" } }] }, { text: "It is 2." });
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const errors: unknown[] = [];
    const done: OpenAI.Beta.Threads.Runs.ToolCall[] = [];
    const accumulated: OpenAI.Beta.Threads.Runs.RunStep[] = [];
    stream.on("error", (e) => errors.push(e));
    stream.on("toolCallDone", (call) => done.push(call));
    stream.on("runStepDelta", (_delta, snapshot) => accumulated.push(structuredClone(snapshot)));
    const run = await stream.finalRun();
    expect(errors).toEqual([]);
    expect(run.status).toBe("completed");
    const [toolStep] = await stepsOf(t.client, thread.id, run.id);
    const stored = (toolStep!.step_details as ToolCallsDetails).tool_calls[0]!;
    expect(stored).toMatchObject({ type: "code_interpreter", code_interpreter: { input: "1+1", outputs: [{ type: "logs", logs: "ran 3 chars" }] } });
    // The snapshot the SDK built from created + deltas holds each field once (no "call_xcall_x").
    const snapshot = (accumulated.at(-1)!.step_details as ToolCallsDetails).tool_calls[0] as OpenAI.Beta.Threads.Runs.CodeInterpreterToolCall;
    expect(snapshot.id).toBe(stored.id);
    expect(snapshot.code_interpreter.input).toBe("1+1");
    expect(snapshot.code_interpreter.outputs.map((o) => (o.type === "logs" ? o.logs : ""))).toEqual(["ran 3 chars"]);
    expect(done.map((c) => c.id)).toEqual([stored.id]);
  });

  it("file_search: step events, like GET steps, leave out result content unless include[] asks for it", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "what is the secret?", { tools: [{ type: "file_search" }] });
    t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query: "secret" } }] }, { text: "Seven." });
    const events = parseSse(await (await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).text());
    expect(names(events).at(-2)).toBe("run.completed");
    const run = events.at(-2)!.data as OpenAI.Beta.Threads.Run;
    const [toolStep] = await stepsOf(t.client, thread.id, run.id);
    const streamed = events.filter((e) => e.event === "thread.run.step.completed").map((e) => e.data);
    expect(streamed[0]).toEqual(toolStep);
    for (const step of streamed) expectMatchesSchema(step, "RunStepObject");
    const result = ((toolStep!.step_details as ToolCallsDetails).tool_calls[0] as OpenAI.Beta.Threads.Runs.FileSearchToolCall).file_search.results![0]!;
    expect(result).toMatchObject({ file_id: "file-abc", file_name: "notes.txt", score: 0.9 });
    expect(result).not.toHaveProperty("content");
    // The passage still reached the model.
    expect(JSON.stringify(t.ollama.chatRequests[1]!.messages)).toContain("The secret is 7.");
  });

  it("file_search with include[] streams and returns the result content", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "what is the secret?", { tools: [{ type: "file_search" }] });
    t.ollama.script({ toolCalls: [{ name: "file_search", arguments: { query: "secret" } }] }, { text: "Seven." });
    const include = "step_details.tool_calls[*].file_search.results[*].content";
    const stream = t.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, include: [include] });
    const steps: OpenAI.Beta.Threads.Runs.RunStep[] = [];
    stream.on("runStepDone", (step) => steps.push(step));
    await stream.finalRun();
    const call = (steps[0]!.step_details as ToolCallsDetails).tool_calls[0] as OpenAI.Beta.Threads.Runs.FileSearchToolCall;
    expect(call.file_search.results![0]!.content).toEqual([{ type: "text", text: "The secret is 7." }]);
  });
});
