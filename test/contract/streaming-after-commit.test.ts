import { describe, expect, it } from "vitest";
import { seed, useRunApp, waitForRun } from "../helpers/runs.js";

describe("streaming: events leave only after their writes commit", () => {
  const app = useRunApp();

  it("a streamed run with additional_messages: no event is emitted inside a transaction", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const emittedInTransaction: string[] = [];
    const bus = t.services.runEvents;
    const emit = bus.emit.bind(bus);
    bus.emit = (runId, event, data) => {
      if (t.services.db.inTransaction) emittedInTransaction.push(event);
      emit(runId, event, data);
    };
    t.ollama.script({ text: "Done." });
    const stream = t.client.beta.threads.runs.stream(thread.id, {
      assistant_id: assistant.id,
      additional_messages: [{ role: "user", content: "one more thing" }],
    });
    const seen: string[] = [];
    stream.on("event", (e) => seen.push(e.event));
    const run = await stream.finalRun();
    expect(run.status).toBe("completed");
    expect(seen.slice(0, 3)).toEqual(["thread.run.created", "thread.run.queued", "thread.run.in_progress"]);
    expect(emittedInTransaction).toEqual([]);
  });

  it("submit_tool_outputs with stream: the resumed run's events also come after commit", async () => {
    const t = app();
    const { assistant, thread } = await seed(t, "weather?", { tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }] });
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: {} }] }, { text: "Sunny." });
    const first = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    expect(first.status).toBe("requires_action");
    const emittedInTransaction: string[] = [];
    const bus = t.services.runEvents;
    const emit = bus.emit.bind(bus);
    bus.emit = (runId, event, data) => {
      if (t.services.db.inTransaction) emittedInTransaction.push(event);
      emit(runId, event, data);
    };
    const callId = first.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    const stream = t.client.beta.threads.runs.submitToolOutputsStream(first.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: callId, output: "sunny" }] });
    const seen: string[] = [];
    stream.on("event", (e) => seen.push(e.event));
    await stream.finalRun();
    expect(seen).toContain("thread.run.step.completed");
    expect(seen).toContain("thread.run.completed");
    expect(emittedInTransaction).toEqual([]);
    expect((await waitForRun(t.client, thread.id, first.id)).status).toBe("completed");
  });
});
