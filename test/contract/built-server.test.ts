/**
 * What `npm start` runs: src/ compiled to dist/ by scripts/build.mjs and started with plain node (no TypeScript
 * loader), as a child process on the Ollama stand-in. Every other test runs src/ through tsx, so this one checks
 * what only the build can break: the worker threads' entries (PDF parsing, the code_interpreter sandbox) and the
 * Playground's files beside the compiled modules.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG } from "../helpers/run-app.js";
import { textOf, waitFor, waitForRun } from "../helpers/runs.js";
import { REPO_ROOT, startServer, type ServerProcess } from "../helpers/server-process.js";

describe("the built server (npm start: dist/ on plain node)", () => {
  let fake: OllamaFake;
  let server: ServerProcess;
  let client: OpenAI;
  let dataDir: string;

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO_ROOT, stdio: "pipe" });
    fake = await startOllamaFake({ models: [DEFAULT_TAG] });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-built-"));
    server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: fake.url, EMBEDDING_MODEL: "" }, { entry: "dist" });
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the API and the Playground, and runs model-written code in its sandbox worker", async () => {
    const page = await fetch(server.origin + "/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    expect((await fetch(server.origin + "/playground/app.js")).status).toBe(200);

    const assistant = await client.beta.assistants.create({ model: DEFAULT_TAG, tools: [{ type: "code_interpreter" }] });
    const thread = await client.beta.threads.create({ messages: [{ role: "user", content: "What is 6 * 7?" }] });
    fake.script({ toolCalls: [{ name: "code_interpreter", arguments: { code: "console.log(6 * 7)" } }] }, { text: "It is 42." });
    const created = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const run = await waitForRun(client, thread.id, created.id, undefined, 15_000);
    expect(run.status, JSON.stringify(run.last_error)).toBe("completed");
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    const call = steps.data.flatMap((s) => (s.step_details.type === "tool_calls" ? s.step_details.tool_calls : []))[0];
    expect(call?.type === "code_interpreter" && call.code_interpreter.outputs).toEqual([{ type: "logs", logs: "42" }]);
    const [reply] = (await client.beta.threads.messages.list(thread.id)).data;
    expect(textOf(reply!)).toBe("It is 42.");
  }, 30_000);

  it("validates requests with the bundled zod, its English messages included (dist/vendor/zod.js, built without z.locales)", async () => {
    const post = async (body: unknown) => (await (await fetch(`${server.baseURL}/assistants`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as { error: { message: string; param: string } };
    expect((await post({ model: 5 })).error).toMatchObject({ message: "Invalid type for 'model': expected string, received number.", param: "model" });
    expect((await post({ model: DEFAULT_TAG, name: "n".repeat(300) })).error.message).toMatch(/^Invalid 'name': Too big: expected string to have <=256 characters/);
    const compiled = fs.readFileSync(path.join(REPO_ROOT, "dist/api/assistants.js"), "utf8");
    expect(compiled).toContain('import { z } from "../vendor/zod.js";');
  });

  it("parses an uploaded PDF in its worker thread, and searches it", async () => {
    const bytes = fs.readFileSync(path.join(REPO_ROOT, "test/fixtures/pdfs/pdflatex-4-pages.pdf"));
    const file = await client.files.create({ file: await toFile(bytes, "blind-text.pdf"), purpose: "assistants" });
    const store = await client.vectorStores.create({ name: "built", file_ids: [file.id] });
    await waitFor(async () => (await client.vectorStores.retrieve(store.id)).file_counts.completed === 1, 20_000, "the PDF indexed");
    const hits = await client.vectorStores.search(store.id, { query: "Huardest gefburn" });
    expect(hits.data[0]?.filename).toBe("blind-text.pdf");
    expect(hits.data[0]?.content[0]?.text).toContain("Huardest gefburn");
  }, 30_000);
});
