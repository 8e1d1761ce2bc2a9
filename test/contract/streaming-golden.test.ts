import { describe, expect, it } from "vitest";
import { expectMatchesSchema, type SchemaName } from "../helpers/openapi.js";
import { names, parseSse, postStream, seed, useRunApp, WEATHER_TOOL, type SseEvent } from "../helpers/runs.js";

/** Checks every event's payload against the spec object its name implies. */
function expectPayloadSchemas(events: SseEvent[]): void {
  for (const { event, data } of events) {
    const schema = schemaFor(event);
    if (schema) expectMatchesSchema(data, schema);
  }
}

function schemaFor(event: string): SchemaName | null {
  if (event === "thread.created") return "ThreadObject";
  if (event === "thread.message.delta") return "MessageDeltaObject";
  if (event === "thread.run.step.delta") return "RunStepDeltaObject";
  if (event.startsWith("thread.run.step.")) return "RunStepObject";
  if (event.startsWith("thread.run.")) return "RunObject";
  if (event.startsWith("thread.message.")) return "MessageObject";
  return null;
}

/** Collapses consecutive repeats (`message.delta*`) so golden lists do not depend on chunking. */
function collapse(list: string[]): string[] {
  return list.filter((name, i) => name !== list[i - 1] || name !== "message.delta");
}

const PLAIN_REPLY = [
  "run.created",
  "run.queued",
  "run.in_progress",
  "run.step.created",
  "run.step.in_progress",
  "message.created",
  "message.in_progress",
  "message.delta",
  "message.completed",
  "run.step.completed",
  "run.completed",
  "done",
];

describe("streaming: golden event order (raw SSE)", () => {
  const app = useRunApp();

  it("a plain reply", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["One", " two", " three"] });
    const res = await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(collapse(names(events))).toEqual(PLAIN_REPLY);
    expect(names(events).filter((n) => n === "message.delta")).toHaveLength(3);
    expect(events.at(-1)!.data).toBe("[DONE]");
    expectPayloadSchemas(events);
    const deltas = events.filter((e) => e.event === "thread.message.delta").map((e) => e.data.delta.content[0].text.value);
    expect(deltas).toEqual(["One", " two", " three"]);
    expect(events.map((e) => e.data.status).filter(Boolean).slice(0, 3)).toEqual(["queued", "queued", "in_progress"]);
  });

  it("createAndRun with stream starts with thread.created", async () => {
    const t = app();
    const assistant = await t.assistant();
    t.ollama.script({ text: "hi" });
    const res = await postStream(t, "/threads/runs", { assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "x" }] } });
    const events = parseSse(await res.text());
    expect(collapse(names(events))).toEqual(["created", ...PLAIN_REPLY]);
    expect(events[0]!.data).toMatchObject({ object: "thread", id: events[1]!.data.thread_id });
    expectPayloadSchemas(events);
  });

  it("a tool round trip: requires_action ends the first stream; submit_tool_outputs streams the rest", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [WEATHER_TOOL] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Lima" } }] }, { chunks: ["Warm", " in", " Lima."] });
    const first = parseSse(await (await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).text());
    expect(names(first)).toEqual([
      "run.created",
      "run.queued",
      "run.in_progress",
      "run.step.created",
      "run.step.in_progress",
      "run.step.delta",
      "run.step.delta",
      "run.requires_action",
      "done",
    ]);
    expectPayloadSchemas(first);
    // Clients append deltas to the step.created snapshot, so the calls must not be in both.
    expect(first.find((e) => e.event === "thread.run.step.created")!.data.step_details).toEqual({ type: "tool_calls", tool_calls: [] });
    // As the hosted API streamed a call: one delta opens it (id, name, empty arguments), the next has the arguments.
    const [opening, args] = first.filter((e) => e.event === "thread.run.step.delta").map((e) => e.data.delta.step_details.tool_calls);
    const run = first.at(-2)!.data;
    const callId = run.required_action.submit_tool_outputs.tool_calls[0].id;
    expect(opening).toEqual([{ index: 0, id: callId, type: "function", function: { name: "get_weather", arguments: "", output: null } }]);
    expect(args).toEqual([{ index: 0, type: "function", function: { arguments: '{"city":"Lima"}' } }]);

    const res = await postStream(t, `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, { tool_outputs: [{ tool_call_id: callId, output: "25°C" }] });
    const second = parseSse(await res.text());
    // The tool step is completed (with its output) when the outputs are accepted, then the run is queued again.
    expect(collapse(names(second))).toEqual(["run.step.completed", ...PLAIN_REPLY.slice(1)]);
    expect(second[0]!.data.step_details.tool_calls[0].function.output).toBe("25°C");
    expectPayloadSchemas(second);
  });

  it("an Ollama error mid-stream: the partial message ends incomplete, then thread.run.failed, then done (no error event)", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["Half"], errorLine: "model crashed" });
    const events = parseSse(await (await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).text());
    expect(names(events)).toEqual([
      "run.created",
      "run.queued",
      "run.in_progress",
      "run.step.created",
      "run.step.in_progress",
      "message.created",
      "message.in_progress",
      "message.delta",
      "message.incomplete",
      "run.step.failed",
      "run.failed",
      "done",
    ]);
    expectPayloadSchemas(events);
    expect(events.at(-2)!.data.last_error).toEqual({ code: "server_error", message: expect.stringContaining("model crashed") });
    expect(events.find((e) => e.event === "thread.message.incomplete")!.data.incomplete_details).toEqual({ reason: "run_failed" });
  });

  it("a failure before any text: run.failed straight after in_progress", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ httpStatus: 500, error: "no GPU" });
    const events = parseSse(await (await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).text());
    expect(names(events)).toEqual(["run.created", "run.queued", "run.in_progress", "run.failed", "done"]);
    expectPayloadSchemas(events);
  });

  it("max_completion_tokens reached: message.incomplete, step.completed, run.incomplete", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["cut"], doneReason: "length" });
    const events = parseSse(await (await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: assistant.id, max_completion_tokens: 256 })).text());
    expect(names(events).slice(-4)).toEqual(["message.incomplete", "run.step.completed", "run.incomplete", "done"]);
    expectPayloadSchemas(events);
  });

  it("a stream for a request that fails validation is a plain JSON 400, not an event stream", async () => {
    const t = app();
    const { thread } = await seed(t);
    const res = await postStream(t, `/threads/${thread.id}/runs`, { assistant_id: "asst_nope" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
