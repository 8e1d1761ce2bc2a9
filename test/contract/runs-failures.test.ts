import { describe, expect, it } from "vitest";
import type { RunTestApp } from "../helpers/run-app.js";
import { expectRunSchema, seed, stepsOf, textOf, useRunApp, waitForRun } from "../helpers/runs.js";
import type { ChatScript } from "../fakes/ollama-fake.js";

const poll = { pollIntervalMs: 5 };

/** Runs once on a fresh thread and returns the ended run. */
async function runOnce(t: RunTestApp, assistantExtra: Record<string, unknown> = {}) {
  const { assistant, thread } = await seed(t, "hello", assistantExtra);
  const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  return { thread, run: await waitForRun(t.client, thread.id, run.id) };
}

/** After any model failure the server is still healthy and the next run on it completes. */
async function expectServerStillWorks(t: RunTestApp): Promise<void> {
  const health = await t.request("/health");
  expect(health.status).toBe(200);
  t.ollama.script({ text: "back to normal" });
  const { thread, run } = await runOnce(t);
  expect(run.status).toBe("completed");
  expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toBe("back to normal");
}

describe("runs: each Ollama failure ends the run failed with a clear last_error", () => {
  const app = useRunApp();

  it("Ollama not running → server_error telling how to start it", async () => {
    const t = app();
    await t.ollama.setDown(true);
    const { run } = await runOnce(t);
    expectRunSchema(run);
    expect(run.status).toBe("failed");
    expect(run.failed_at).toBeGreaterThan(0);
    expect(run.last_error!.code).toBe("server_error");
    expect(run.last_error!.message).toContain("ollama serve");
    expect(run.last_error!.message).toContain(t.ollama.url);
    await t.ollama.setDown(false);
    await expectServerStillWorks(t);
  });

  it("Ollama goes down after the model was looked up → the same message", async () => {
    const t = app();
    expect((await runOnce(t)).run.status).toBe("completed");
    await t.ollama.setDown(true);
    const { run } = await runOnce(t);
    expect(run.status).toBe("failed");
    expect(run.last_error!.message).toContain("ollama serve");
    await t.ollama.setDown(false);
    await expectServerStillWorks(t);
  });

  it("a model that is not pulled → invalid_prompt telling how to pull it", async () => {
    const t = app();
    const { run } = await runOnce(t, { model: "nope:1b" });
    expect(run.status).toBe("failed");
    expect(run.last_error).toEqual({ code: "invalid_prompt", message: expect.stringContaining("ollama pull nope:1b") });
    await expectServerStillWorks(t);
  });

  it("HTTP 500 from /api/chat → server_error quoting Ollama", async () => {
    const t = app();
    t.ollama.script({ httpStatus: 500, error: "llama runner process has terminated" });
    const { run } = await runOnce(t);
    expect(run.status).toBe("failed");
    expect(run.last_error!.code).toBe("server_error");
    expect(run.last_error!.message).toContain("500");
    expect(run.last_error!.message).toContain("llama runner process has terminated");
    await expectServerStillWorks(t);
  });

  it("an error line mid-stream → failed; the partial message is incomplete (run_failed) and its step failed", async () => {
    const t = app();
    t.ollama.script({ chunks: ["Partial", " answer"], errorLine: "CUDA error: out of memory" });
    const { thread, run } = await runOnce(t);
    expect(run.status).toBe("failed");
    expect(run.last_error!.code).toBe("server_error");
    expect(run.last_error!.message).toContain("CUDA error: out of memory");
    const [reply] = (await t.client.beta.threads.messages.list(thread.id)).data;
    expect(reply).toMatchObject({ role: "assistant", status: "incomplete", incomplete_details: { reason: "run_failed" } });
    expect(textOf(reply!)).toBe("Partial answer");
    const [step] = await stepsOf(t.client, thread.id, run.id);
    expect(step).toMatchObject({ status: "failed", last_error: { code: "server_error" } });
    expect(step!.failed_at).toBeGreaterThan(0);
    await expectServerStillWorks(t);
  });

  it("a connection dropped mid-reply → failed, saying the connection broke", async () => {
    const t = app();
    t.ollama.script({ chunks: ["a", " b", " c"], destroyAfterChunks: 2 });
    const { run } = await runOnce(t);
    expect(run.status).toBe("failed");
    expect(run.last_error!.message).toMatch(/connection to Ollama broke/i);
    await expectServerStillWorks(t);
  });

  it("one failing run does not disturb another running at the same time", async () => {
    const t = app();
    // Which request reaches the fake first is up to the sockets, so the reply depends on the prompt.
    const byPrompt: ChatScript = (body) =>
      body.messages.at(-1)!.content === "one" ? { httpStatus: 500, error: "boom" } : { chunks: ["fine", " here"], delayMs: 20 };
    t.ollama.script(byPrompt, byPrompt);
    const a = await seed(t, "one");
    const b = await t.client.beta.threads.create({ messages: [{ role: "user", content: "two" }] });
    const ra = await t.client.beta.threads.runs.create(a.thread.id, { assistant_id: a.assistant.id });
    const rb = await t.client.beta.threads.runs.create(b.id, { assistant_id: a.assistant.id });
    const [endA, endB] = await Promise.all([waitForRun(t.client, a.thread.id, ra.id), waitForRun(t.client, b.id, rb.id)]);
    expect(endA.status).toBe("failed");
    expect(endB.status).toBe("completed");
    const final = await t.client.beta.threads.runs.createAndPoll(a.thread.id, { assistant_id: a.assistant.id }, poll);
    expect(final.status).toBe("completed");
  });
});

// A short timeout of its own: Node's first fetch in a busy process can take longer than 300 ms to set up.
describe("runs: an Ollama that stops answering", () => {
  const app = useRunApp({ MODEL_TIMEOUT_MS: "500" });

  it.each<[string, ChatScript]>([
    ["no answer at all", { hang: true }],
    ["silence after the first chunks", { chunks: ["a", " b"], stallAfterChunks: 1 }],
  ])("%s past MODEL_TIMEOUT_MS → failed with a timeout message", async (_name, script) => {
    const t = app();
    t.ollama.script(script);
    const started = Date.now();
    const { run } = await runOnce(t);
    expect(Date.now() - started).toBeLessThan(5000); // the default timeout would be 120 s
    expect(run.status).toBe("failed");
    expect(run.last_error!.code).toBe("server_error");
    expect(run.last_error!.message).toMatch(/sent nothing for 0\.5s/);
    await expectServerStillWorks(t);
  });
});
