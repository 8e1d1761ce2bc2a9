/**
 * What an operator of several nodes reads: JSON log lines carrying the node, a request's id on its request line, a run's id on its lines,
 * LOG_LEVEL; GET /metrics in Prometheus's format (requests, runs, responses, model calls, sandbox calls), kept
 * to admins when keys are configured; GET /health answering 503 when the database or DATA_DIR does not.
 */
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { toFile } from "openai";
import type { ChatModel } from "../../src/llm/chat-model.js";
import { setLogLevel } from "../../src/log.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { captureLog } from "../helpers/log-capture.js";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { waitForRun } from "../helpers/runs.js";
import { callCode, ciThread, runScripted } from "../helpers/code-interpreter.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const made: TestApp[] = [];
async function track<T extends TestApp>(t: Promise<T>): Promise<T> {
  const app = await t;
  made.push(app);
  return app;
}

afterEach(async () => {
  setLogLevel("info");
  for (const t of made.splice(0)) {
    await t.close().catch(() => undefined);
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  }
});

/** One sample of a metric, by its exact name and labels as Prometheus's text shows them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("operations: logs", () => {
  it("lines are JSON with the node; a request's carry its request id, a run's its run id; LOG_LEVEL=debug adds one per request", async () => {
    const broken: ChatModel = {
      chat: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new TypeError("the adapter broke")) }) }),
      details: async () => ({ context_length: 8192, capabilities: ["completion", "tools"], family: null }),
    };
    const t = await track(makeTestApp({}, { chat: broken }));
    const log = captureLog();
    try {
      setLogLevel("debug");
      const res = await t.request("/v1/assistants");
      const requestId = res.headers.get("x-request-id");
      const assistant = await t.client.beta.assistants.create({ model: "gpt-4o" });
      const run = await t.client.beta.threads.createAndRun({ assistant_id: assistant.id });
      expect((await waitForRun(t.client, run.thread_id, run.id)).status).toBe("failed");
      setLogLevel("info");
      const atInfo = log.lines().length;
      await t.request("/v1/assistants");

      const lines = log.lines();
      const requestLine = lines.find((l) => l.msg === "request" && l.request_id === requestId);
      expect(requestLine).toMatchObject({ level: "debug", method: "GET", route: "/v1/assistants", status: 200, node: expect.any(String) });
      const failure = lines.find((l) => l.msg === "run failed");
      expect(failure).toMatchObject({ level: "error", run_id: run.id, node: requestLine!.node, err: { message: "the adapter broke" } });
      expect(typeof failure!.time).toBe("string");
      // At info, requests are not logged.
      expect(lines.slice(atInfo).filter((l) => l.msg === "request")).toEqual([]);
    } finally {
      log.stop();
    }
  });
});

describe("operations: GET /metrics", () => {
  it("counts requests by route and status, runs and responses by outcome, model calls with their tokens, sandbox calls, files and pages indexed", async () => {
    const t = await track<RunTestApp>(makeRunApp());
    // A run that calls code_interpreter twice (once throwing), then answers; then a response.
    const { assistantId, threadId } = await ciThread(t);
    const { run } = await runScripted(t, assistantId, threadId, callCode("1 + 1"), callCode("throw new Error('no')"), { text: "done" });
    expect(run.status).toBe("completed");
    t.ollama.script({ text: "also done" });
    expect((await t.client.responses.create({ model: "gpt-4o", input: "hello" })).status).toBe("completed");
    await t.request("/v1/assistants/asst_missing");
    // A file indexed into a vector store.
    const file = await t.client.files.create({ file: await toFile(Buffer.from("a page of text to index"), "page.txt"), purpose: "assistants" });
    const store = await t.client.vectorStores.create({ file_ids: [file.id] });
    await t.services.ingestor.idle();
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts.completed).toBe(1);

    const res = await t.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'local_assistants_http_requests_total{method="POST",route="/v1/threads/:thread_id/runs",status="200"}')).toBe(1);
    expect(sample(text, 'local_assistants_http_requests_total{method="GET",route="/v1/assistants/:id",status="404"}')).toBe(1);
    expect(sample(text, 'local_assistants_runs_ended_total{status="completed"}')).toBe(1);
    expect(sample(text, 'local_assistants_responses_ended_total{status="completed"}')).toBe(1);
    expect(sample(text, 'local_assistants_model_call_duration_seconds_count{model="llama3.2:3b",outcome="ok"}')).toBe(4);
    expect(sample(text, 'local_assistants_sandbox_calls_total{outcome="ok"}')).toBe(1);
    expect(sample(text, 'local_assistants_sandbox_calls_total{outcome="error"}')).toBe(1);
    expect(sample(text, 'local_assistants_model_tokens_total{model="llama3.2:3b",kind="completion"}')).toBeGreaterThan(0);
    expect(sample(text, "local_assistants_run_claim_wait_seconds_count")).toBe(1);
    expect(sample(text, "local_assistants_runs_queued")).toBe(0);
    expect(sample(text, 'local_assistants_ingestion_files_total{status="completed"}')).toBe(1);
    expect(sample(text, "local_assistants_ingestion_pages_total")).toBe(1);
    expect(text).toContain("local_assistants_process_resident_memory_bytes");
  });

  it("with keys configured it needs an admin key, or API_KEY when that is the only key", async () => {
    const t = await track(makeTestApp({ API_KEY: "sk-operator" }));
    expect((await t.request("/metrics")).status).toBe(401);
    expect((await t.request("/metrics", { headers: { authorization: "Bearer sk-operator" } })).status).toBe(200);
  });
});

describe("operations: GET /health for a load balancer", () => {
  it("is 503 unavailable, saying why, when DATA_DIR cannot be written, and ok again once it can", async () => {
    const t = await track(makeTestApp());
    expect(await (await t.request("/health")).json()).toMatchObject({ status: "ok" });
    fs.renameSync(t.dataDir, `${t.dataDir}.moved`);
    try {
      const res = await t.request("/health");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", problems: { storage: expect.stringMatching(/DATA_DIR cannot be written/) } });
    } finally {
      fs.renameSync(`${t.dataDir}.moved`, t.dataDir);
    }
    expect((await t.request("/health")).status).toBe(200);
  });

  it("is 503 unavailable when the database does not answer", async () => {
    const t = await track(makeTestApp());
    await t.services.db.close();
    const res = await t.request("/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unavailable", problems: { database: expect.stringMatching(/database does not answer/) } });
  });
});

describe("operations: ROLE", () => {
  it("ROLE other than all needs DATABASE_URL (one SQLite process is every role), and is checked", () => {
    expect(() => loadConfig({ ROLE: "worker" })).toThrow(/ROLE=worker splits work between server processes sharing one PostgreSQL: set DATABASE_URL/);
    expect(() => loadConfig({ ROLE: "boss", DATABASE_URL: "postgres://h/db" })).toThrow(ConfigError);
    expect(loadConfig({ ROLE: "api", DATABASE_URL: "postgres://h/db" }).cluster.role).toBe("api");
    expect(loadConfig({}).cluster.role).toBe("all");
  });

});
