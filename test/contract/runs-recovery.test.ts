import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { startOllamaFake, type ChatScript, type OllamaFake } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { stepsOf, textOf, waitFor, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";

/** The real entry point as a child process, with an SDK client on it. */
async function boot(env: Record<string, string>): Promise<{ server: ServerProcess; client: OpenAI; healthyAt: number }> {
  const server = await startServer(env);
  return { server, client: new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 }), healthyAt: performance.now() };
}

/** The fake's reply depends on the prompt, so the order in which runs reach it does not matter. */
const byPrompt: ChatScript = (body) => {
  const last = body.messages.at(-1)!;
  if (last.role === "tool") return { text: "Sunny after the restart." };
  if (last.content === "again") return { text: "fresh start" };
  if (last.content === "weather?") return { toolCalls: [{ name: "get_weather", arguments: { city: "Rome" } }] };
  return { chunks: ["Hel", "lo"], stallAfterChunks: 2 };
};

describe("recovery after a crash (real server process, SIGKILL)", () => {
  let fake: OllamaFake;
  let dataDir: string;
  const servers: ServerProcess[] = [];

  beforeEach(async () => {
    fake = await startOllamaFake({ models: [DEFAULT_TAG] });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-crash-"));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.kill();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("no run is left active after a restart; partial replies end incomplete; a run waiting for tool outputs can still finish", { timeout: 30_000 }, async () => {
    const env = { DATA_DIR: dataDir, OLLAMA_HOST: fake.url, RUN_CONCURRENCY: "2" };
    fake.script(...Array.from({ length: 10 }, () => byPrompt));
    const first = await boot(env);
    servers.push(first.server);
    const c = first.client;
    const assistant = await c.beta.assistants.create({ model: "gpt-4o", instructions: "Be brief.", tools: [WEATHER_TOOL] });

    const waiting = await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: "weather?" }] } });
    expect((await waitForRun(c, waiting.thread_id, waiting.id)).status).toBe("requires_action");
    // Concurrency 2: two runs stream a partial reply and stall; the third stays queued.
    const runs: OpenAI.Beta.Threads.Run[] = [];
    for (const word of ["one", "two", "three"]) {
      runs.push(await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: "user", content: word }] } }));
    }
    const partial = async () => {
      const lists = await Promise.all(runs.map((r) => c.beta.threads.messages.list(r.thread_id)));
      return lists.map((l) => l.data.find((m) => m.role === "assistant" && textOf(m) !== "")).filter((m) => m !== undefined);
    };
    const started = await waitFor(async () => ((await partial()).length === 2 ? partial() : null), 10_000, "two partial replies");
    const statuses = await Promise.all(runs.map((r) => c.beta.threads.runs.retrieve(r.id, { thread_id: r.thread_id })));
    expect(statuses.map((r) => r.status).sort()).toEqual(["in_progress", "in_progress", "queued"]);

    await first.server.kill(); // SIGKILL: no shutdown code runs
    const second = await boot(env);
    servers.push(second.server);
    const r = second.client;

    // One read right after boot, no polling: recovery ran before the server started listening. (The bound
    // is loose only because a busy 2-core machine can be slow to answer a fresh process's first requests.)
    const after = await Promise.all(runs.map((x) => r.beta.threads.runs.retrieve(x.id, { thread_id: x.thread_id })));
    expect(performance.now() - second.healthyAt).toBeLessThan(2000);
    for (const run of after) {
      expect(run.status).toBe("failed");
      expect(run.last_error).toEqual({ code: "server_error", message: expect.stringMatching(/restart/) });
      expect(run.expires_at).toBeNull();
      for (const step of await stepsOf(r, run.thread_id, run.id)) expect(step.status).toBe("failed");
    }
    for (const message of started) {
      const stored = await r.beta.threads.messages.retrieve(message.id, { thread_id: message.thread_id });
      expect(stored).toMatchObject({ status: "incomplete", incomplete_details: { reason: "run_failed" } });
      expect(textOf(stored).startsWith("Hel")).toBe(true);
    }

    const stillWaiting = await r.beta.threads.runs.retrieve(waiting.id, { thread_id: waiting.thread_id });
    expect(stillWaiting.status).toBe("requires_action");
    const callId = stillWaiting.required_action!.submit_tool_outputs.tool_calls[0]!.id;
    const done = await r.beta.threads.runs.submitToolOutputsAndPoll(
      waiting.id,
      { thread_id: waiting.thread_id, tool_outputs: [{ tool_call_id: callId, output: "sunny" }] },
      { pollIntervalMs: 10 },
    );
    expect(done.status).toBe("completed");

    // The threads are free again: a new run on a crashed thread completes.
    const again = await r.beta.threads.runs.createAndPoll(
      runs[0]!.thread_id,
      { assistant_id: assistant.id, additional_messages: [{ role: "user", content: "again" }] },
      { pollIntervalMs: 10 },
    );
    expect(again.status).toBe("completed");
    expect(textOf((await r.beta.threads.messages.list(runs[0]!.thread_id)).data[0]!)).toBe("fresh start");
  });
});
