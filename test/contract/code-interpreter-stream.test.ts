/**
 * code_interpreter while it runs: stream events (the call's input, then its outputs) through the SDK and as
 * raw SSE, and a server that keeps answering over a real socket while guest code spins in its worker.
 */
import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { callCode, ciThread, collect, logsOf, textAndAnnotations } from "../helpers/code-interpreter.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { names, parseSse, postStream, sleep, useRunApp, waitFor, waitForRun } from "../helpers/runs.js";
import { listen } from "../helpers/test-app.js";

type ToolCall = OpenAI.Beta.Threads.Runs.ToolCall;
type ToolCallDelta = OpenAI.Beta.Threads.Runs.ToolCallDelta;

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
const CODE = `console.log("drawing"); files.writeText("plot.svg", ${JSON.stringify(SVG)}); 6 * 7`;

/** A value with every `index` key dropped (the SDK keeps the delta indexes in its accumulated snapshots). */
function withoutIndex(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === "index" ? undefined : v));
}

describe("code_interpreter: streaming", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1" });

  it("the SDK sees the call created empty, a delta with its input, a delta with the outputs, then the reply", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "plot it");
    t.ollama.script(callCode(CODE), { text: "Here is the plot." });
    const stream = t.client.beta.threads.runs.stream(threadId, { assistant_id: assistantId });
    const order: string[] = [];
    const created: ToolCall[] = [];
    const deltas: ToolCallDelta[] = [];
    const done: ToolCall[] = [];
    const errors: unknown[] = [];
    stream.on("toolCallCreated", (call) => {
      created.push(structuredClone(call));
      order.push("toolCallCreated");
    });
    stream.on("toolCallDelta", (delta) => {
      deltas.push(structuredClone(delta));
      order.push("toolCallDelta");
    });
    stream.on("toolCallDone", (call) => {
      done.push(call);
      order.push("toolCallDone");
    });
    stream.on("textCreated", () => order.push("textCreated"));
    stream.on("runStepDone", (step) => expectMatchesSchema(step, "RunStepObject"));
    stream.on("messageDone", (message) => expectMatchesSchema(message, "MessageObject"));
    stream.on("error", (e) => errors.push(e));
    const run = await stream.finalRun();
    expect(errors).toEqual([]);
    expect(run.status).toBe("completed");
    // As the hosted API streamed it (and OpenAI's quickstart handler prints): the code arrives in a delta.
    expect(order).toEqual(["toolCallCreated", "toolCallDelta", "toolCallDelta", "toolCallDone", "textCreated"]);

    expect(created[0]).toMatchObject({ type: "code_interpreter", code_interpreter: { input: "", outputs: [] } });
    expect(deltas[0]).toEqual({ index: 0, type: "code_interpreter", code_interpreter: { input: CODE } });
    const outputs = deltas[1]!.type === "code_interpreter" ? deltas[1]!.code_interpreter?.outputs : undefined;
    expect(outputs).toEqual([
      { index: 0, type: "logs", logs: "drawing\n=> 42\nFiles written: plot.svg" },
      { index: 1, type: "image", image: { file_id: expect.stringMatching(/^file-/) } },
    ]);
    const r = await collect(t, threadId, run);
    // What the SDK accumulated is what was stored (plus the `index` fields the deltas carry).
    expect(withoutIndex(done[0])).toEqual(r.calls[0]);
    const image = r.calls[0]!.code_interpreter.outputs[1];
    expect(image?.type === "image" && image.image.file_id).toBe(outputs?.[1]?.type === "image" && outputs[1].image?.file_id);
    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe("Here is the plot. [plot.svg](sandbox:/mnt/data/plot.svg)");
    expect(annotations).toMatchObject([{ type: "file_path", text: "sandbox:/mnt/data/plot.svg" }]);
  });

  it("raw SSE: step.delta with code_interpreter.input comes before the one with outputs; every object matches the spec", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "compute");
    t.ollama.script(callCode("console.log('working'); 2 ** 10"), { text: "1024." });
    const events = parseSse(await (await postStream(t, `/threads/${threadId}/runs`, { assistant_id: assistantId })).text());
    const list = names(events);
    expect(list.slice(-2)).toEqual(["run.completed", "done"]);

    const stepDeltas = events.filter((e) => e.event === "thread.run.step.delta");
    for (const e of stepDeltas) expectMatchesSchema(e.data, "RunStepDeltaObject");
    const calls = stepDeltas.map((e) => e.data.delta.step_details.tool_calls[0]);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({ index: 0, type: "code_interpreter", id: expect.stringMatching(/^call_/), code_interpreter: { input: "", outputs: [] } });
    expect(calls[1]).toEqual({ index: 0, type: "code_interpreter", code_interpreter: { input: "console.log('working'); 2 ** 10" } });
    expect(calls[2]).toEqual({ index: 0, type: "code_interpreter", code_interpreter: { outputs: [{ index: 0, type: "logs", logs: "working\n=> 1024" }] } });

    const at = (name: string, from = 0) => list.indexOf(name, from);
    const stepCreated = at("run.step.created");
    expect(stepCreated).toBeGreaterThan(-1);
    expect(at("run.step.delta")).toBeGreaterThan(stepCreated);
    expect(list.lastIndexOf("run.step.delta")).toBeLessThan(at("run.step.completed"));
    expect(at("message.created")).toBeGreaterThan(at("run.step.completed"));

    for (const e of events) {
      if (e.event.startsWith("thread.run.step.") && e.event !== "thread.run.step.delta") expectMatchesSchema(e.data, "RunStepObject");
      if (/^thread\.message\.(created|in_progress|completed)$/.test(e.event)) expectMatchesSchema(e.data, "MessageObject");
      if (e.event === "thread.message.delta") expectMatchesSchema(e.data, "MessageDeltaObject");
    }
    const completedStep = events.find((e) => e.event === "thread.run.step.completed")!.data;
    expect(completedStep.step_details.tool_calls[0].code_interpreter.outputs).toEqual([{ type: "logs", logs: "working\n=> 1024" }]);
  });
});

describe("code_interpreter: the server stays responsive while guest code runs", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1", SANDBOX_TIME_MS: "3000" });

  it("GET /health answers in under 100 ms over a real socket during a 2-second busy loop", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const origin = server.baseURL.replace(/\/v1$/, "");
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
      const { assistantId, threadId } = await ciThread(t, "spin");
      const spin = "const end = Date.now() + 2000; let spins = 0; while (Date.now() < end) spins++; 'spun ' + (spins > 1000)";
      t.ollama.script(callCode(spin), { text: "Spun." });
      const created = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });

      // The tool step exists once the call is handed to the sandbox (its outputs are still empty).
      const step = await waitFor(async () => {
        const steps = await t.client.beta.threads.runs.steps.list(created.id, { thread_id: threadId });
        return steps.data.find((s) => s.type === "tool_calls");
      }, 5000, "the code_interpreter step");
      const startedAt = performance.now();
      const latencies: number[] = [];
      while (performance.now() - startedAt < 1500) {
        const t0 = performance.now();
        const res = await fetch(`${origin}/health`);
        const body = (await res.json()) as { status: string };
        latencies.push(performance.now() - t0);
        expect([res.status, body.status]).toEqual([200, "ok"]);
        await sleep(20);
      }
      // Still spinning after the last probe: every probe overlapped the busy loop.
      const during = await t.client.beta.threads.runs.steps.retrieve(step.id, { thread_id: threadId, run_id: created.id });
      expect(during.status).toBe("in_progress");
      expect(during.step_details.type === "tool_calls" && during.step_details.tool_calls[0]?.type === "code_interpreter" && during.step_details.tool_calls[0].code_interpreter.outputs).toEqual([]);

      // Had guest code run on the server's thread, every probe would wait for the loop (up to 2 s). On a loaded
      // machine (CI, other suites) a rare probe can still lose the CPU for a while, hence p90 and a hard cap.
      const sorted = [...latencies].sort((a, b) => a - b);
      const report = `latencies (ms): ${latencies.map((l) => l.toFixed(1)).join(", ")}`;
      expect(latencies.length, report).toBeGreaterThanOrEqual(10);
      expect(sorted[Math.ceil(sorted.length * 0.9) - 1], report).toBeLessThan(100);
      expect(sorted.at(-1), report).toBeLessThan(500);

      const run = await waitForRun(t.client, threadId, created.id, undefined, 10_000);
      expect(run.status).toBe("completed");
      expect(performance.now() - startedAt).toBeGreaterThan(1500);
      const r = await collect(t, threadId, run);
      expect(logsOf(r.calls[0])).toBe("=> spun true");
    } finally {
      await server.close();
    }
  });
});
