/**
 * Model faults: Ollama down at start, down later, dying mid-stream, answering HTTP 500, sending an error
 * line, hanging past the timeout (before and after the first token), an unknown model. Each run ends
 * `failed` with a `last_error` a person can act on — polled and streamed — no message is left in_progress,
 * the server stays healthy, and runs succeed again as soon as Ollama is back.
 */
import fs from "node:fs";
import type OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startOllamaFake, type ChatStep } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG, makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import { byProfile, countRequests, Figures, TERMINAL_RUN, until } from "./support/figures.js";

const TIMEOUT_MS = 800;
const REPEAT = byProfile(4, 1);

interface Fault {
  name: string;
  step?: ChatStep;
  /** Instead of a scripted step: take Ollama away for this run. */
  down?: boolean;
  model?: string;
  code: "server_error" | "invalid_prompt";
  message: RegExp;
}

const FAULTS: Fault[] = [
  { name: "Ollama down", down: true, code: "server_error", message: /Ollama is not reachable at http:\/\/127\.0\.0\.1:\d+/ },
  { name: "dies mid-stream", step: { text: "one two three four five", destroyAfterChunks: 2 }, code: "server_error", message: /connection to Ollama broke in the middle of the reply/ },
  { name: "HTTP 500", step: { httpStatus: 500, error: "llama runner process has terminated: signal: killed" }, code: "server_error", message: /HTTP 500: llama runner process has terminated/ },
  { name: "error line", step: { text: "partial answer", errorLine: "CUDA error: out of memory" }, code: "server_error", message: /failed while generating the reply: CUDA error: out of memory/ },
  { name: "hangs before replying", step: { hang: true }, code: "server_error", message: /Ollama sent nothing for 0\.8s/ },
  { name: "stalls mid-reply", step: { text: "a b c d e", stallAfterChunks: 2 }, code: "server_error", message: /Ollama sent nothing for 0\.8s/ },
  { name: "unknown model", model: "no-such-model:7b", code: "invalid_prompt", message: /Model 'no-such-model:7b' is not available in Ollama: run `ollama pull no-such-model:7b`/ },
];

describe("reliability: model faults", () => {
  const figures = new Figures("model faults");
  const opened: Array<TestApp | RunTestApp> = [];
  afterEach(async () => {
    for (const t of opened.splice(0)) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
  afterAll(() => {
    figures.set("losses", figures.get("runs_not_failed_cleanly"));
    figures.print();
  });

  it("Ollama down at start: health says so, runs fail clearly, and work once Ollama is up", async () => {
    const ollama = await startOllamaFake({ models: [DEFAULT_TAG] });
    await ollama.setDown(true);
    const t = await makeTestApp({ OLLAMA_HOST: ollama.url, MODEL_TIMEOUT_MS: String(TIMEOUT_MS) });
    countRequests(t.app, figures);
    opened.push({ ...t, close: async () => (await t.close(), await ollama.close()) });
    const health = (await (await t.request("/health")).json()) as { status: string; ollama: { reachable: boolean; error?: string } };
    expect(health.status).toBe("ok");
    expect(health.ollama.reachable).toBe(false);
    expect(health.ollama.error).toMatch(/not reachable/);
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
    const failed = await runOnce(t.client, assistant.id, "poll");
    figures.add("faults_injected");
    expectCleanFailure(failed, FAULTS[0]!, figures);

    await ollama.setDown(false);
    const back = (await (await t.request("/health")).json()) as { ollama: { reachable: boolean } };
    expect(back.ollama.reachable).toBe(true);
    const ok = await runOnce(t.client, assistant.id, "poll");
    expect(ok.run.status).toBe("completed");
    figures.add("recoveries");
  });

  for (const mode of ["poll", "stream"] as const) {
    it(`each fault, ${REPEAT}× (${mode}): run failed with a clear last_error; healthy; the next run completes`, { timeout: 120_000 }, async () => {
      const t = await makeRunApp({ MODEL_TIMEOUT_MS: String(TIMEOUT_MS) });
      countRequests(t.app, figures);
      opened.push(t);
      const healthy = await t.assistant();
      for (let i = 0; i < REPEAT; i++) {
        for (const fault of FAULTS) {
          const assistant = fault.model ? await t.assistant({ model: fault.model }) : healthy;
          if (fault.step) t.ollama.script(fault.step);
          if (fault.down) await t.ollama.setDown(true);
          const result = await runOnce(t.client, assistant.id, mode);
          if (fault.down) await t.ollama.setDown(false);
          figures.add("faults_injected");
          figures.add(`fault:${fault.name}`);
          expectCleanFailure(result, fault, figures);

          expect((await t.request("/health")).status).toBe(200);
          const next = await runOnce(t.client, healthy.id, mode);
          expect(next.run.status, `recovery after "${fault.name}"`).toBe("completed");
          figures.add("recoveries");
        }
      }
    });
  }

  it("a storm: 60 runs at once, a third of them hitting a fault; all terminal, failures match faults", { timeout: 120_000 }, async () => {
    const t = await makeRunApp({ MODEL_TIMEOUT_MS: String(TIMEOUT_MS), RUN_CONCURRENCY: "8" });
    countRequests(t.app, figures);
    opened.push(t);
    const scripted = FAULTS.filter((f) => f.step);
    const steps: ChatStep[] = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? scripted[(i / 3) % scripted.length]!.step! : { text: `fine ${i}`, delayMs: 2 }));
    t.ollama.script(...steps);
    const assistant = await t.assistant();
    const runs = await Promise.all(
      steps.map(async (_, i) => {
        const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: `storm ${i}` }] });
        return t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
      }),
    );
    const done = await Promise.all(runs.map((r) => waitTerminal(t.client, r.thread_id, r.id)));
    const failed = done.filter((r) => r.status === "failed");
    figures.add("faults_injected", 20);
    figures.set("storm_failed", failed.length);
    figures.set("storm_completed", done.filter((r) => r.status === "completed").length);
    expect(done.every((r) => TERMINAL_RUN.has(r.status))).toBe(true);
    expect(failed).toHaveLength(20);
    for (const r of failed) expect(scripted.some((f) => f.message.test(r.last_error?.message ?? ""))).toBe(true);
    expect((await t.request("/health")).status).toBe(200);
  });
});

interface Outcome {
  run: OpenAI.Beta.Threads.Run;
  events: string[];
  messages: OpenAI.Beta.Threads.Message[];
}

/** One run on a fresh thread, polled or streamed to its end. */
async function runOnce(c: OpenAI, assistantId: string, mode: "poll" | "stream"): Promise<Outcome> {
  const thread = await c.beta.threads.create({ messages: [{ role: "user", content: "hello model" }] });
  const events: string[] = [];
  let run: OpenAI.Beta.Threads.Run;
  if (mode === "stream") {
    const stream = c.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    for await (const e of stream) events.push(e.event);
    run = await c.beta.threads.runs.retrieve((await stream.finalRun()).id, { thread_id: thread.id });
  } else {
    const created = await c.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
    run = await waitTerminal(c, thread.id, created.id);
  }
  const messages = (await c.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
  return { run, events, messages };
}

async function waitTerminal(c: OpenAI, threadId: string, runId: string): Promise<OpenAI.Beta.Threads.Run> {
  return until(
    async () => {
      const run = await c.beta.threads.runs.retrieve(runId, { thread_id: threadId });
      return TERMINAL_RUN.has(run.status) ? run : null;
    },
    20_000,
    `run ${runId} to end`,
    10,
  );
}

function expectCleanFailure({ run, events, messages }: Outcome, fault: Fault, figures: Figures): void {
  const clean =
    run.status === "failed" &&
    run.last_error?.code === fault.code &&
    fault.message.test(run.last_error.message) &&
    messages.every((m) => m.status !== "in_progress") &&
    (events.length === 0 || (events.at(-1) === "thread.run.failed" && !events.includes("error")));
  if (!clean) figures.add("runs_not_failed_cleanly");
  expect(run.status, fault.name).toBe("failed");
  expect(run.last_error?.code, fault.name).toBe(fault.code);
  expect(run.last_error?.message, fault.name).toMatch(fault.message);
  expect(run.failed_at).not.toBeNull();
  expect(messages.filter((m) => m.status === "in_progress").map((m) => m.id), fault.name).toEqual([]);
  if (events.length) {
    expect(events.at(-1), fault.name).toBe("thread.run.failed");
    expect(events).not.toContain("error");
  }
}
