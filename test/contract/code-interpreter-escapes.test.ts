/**
 * Escape attempts end to end: model-written code through a real run, the QuickJS sandbox in its worker, and
 * back to the model as text. The unit suite (test/unit/sandbox-escapes.test.ts) has the long list against the
 * sandbox alone; these check that the run path keeps the same guarantees: the attempt fails with a readable
 * error the model reads next, the run completes, and nothing reaches the host.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { callCode, ciThread, logsOf, runScripted, textAndAnnotations, toolMessages } from "../helpers/code-interpreter.js";
import { useRunApp } from "../helpers/runs.js";

const MARKER = `/tmp/la-escape-${process.pid}`;

const ATTEMPTS: Array<[name: string, code: string, logs: RegExp]> = [
  ["process.exit", "process.exit(1)", /^ReferenceError: 'process' is not defined/],
  ["process through the Function constructor", "(function () {}).constructor('return process')().mainModule", /^ReferenceError: 'process' is not defined/],
  ["the global object's Node globals", "[typeof process, typeof Buffer, typeof global, typeof module, typeof __dirname, typeof WebAssembly, typeof host]", /^=> \["undefined","undefined","undefined","undefined","undefined","undefined","undefined"\]$/],
  ["require('child_process')", "require('child_process').execSync('id').toString()", /^Error: require\(\) is not available in this sandbox/],
  ["require('fs') to write a marker file", `require('fs').writeFileSync(${JSON.stringify(MARKER)}, 'x')`, /^Error: require\(\) is not available/],
  ["dynamic import('fs')", `(async () => (await import('fs')).writeFileSync(${JSON.stringify(MARKER)}, 'x'))()`, /cannot import "fs": modules are not available/],
  ["static import", "import fs from 'fs'; fs", /^SyntaxError/],
  ["fetch() to the Ollama port", "fetch('OLLAMA/api/tags')", /^Error: fetch\(\) is not available in this sandbox; the sandbox has no network access/],
  ["XMLHttpRequest / WebSocket", "new XMLHttpRequest()", /^ReferenceError: 'XMLHttpRequest' is not defined/],
  ["an infinite loop", "for (;;) {}", /^timeout: execution exceeded 300 ms/],
  ["an infinite loop inside a catch-all", "for (;;) { try { for (;;) {} } catch (e) {} }", /^timeout: execution exceeded 300 ms/],
  ["an interval never cleared", "setInterval(() => {}, 1)", /^timeout: execution exceeded 300 ms/],
  ["reading a host path", "files.readText('/etc/passwd')", /^Error: file not found: "\/etc\/passwd" \(no files are available\)/],
  ["writing outside the sandbox", "files.writeText('../../../../tmp/escaped.txt', 'x')", /^Error: invalid file name/],
  ["a memory bomb", "const a = []; for (;;) a.push(new Array(100000).fill(1.5))", /^memory limit exceeded/],
  ["deep recursion", "function f(n) { return f(n + 1) + 1 } f(0)", /^(InternalError|RangeError): (stack overflow|Maximum call stack)/i],
];

describe("code_interpreter: escape attempts through a run", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1", SANDBOX_TIME_MS: "300", SANDBOX_MEMORY_MB: "16" });

  it.each(ATTEMPTS)("%s: stopped inside the sandbox; the model reads why and the run completes", async (_name, code, expected) => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "try it");
    const tagsBefore = t.ollama.requests.filter((r) => r.path === "/api/tags").length;
    const r = await runScripted(t, assistantId, threadId, callCode(code.replace("OLLAMA", t.ollama.url)), { text: "That did not work." });
    expect(r.run.status).toBe("completed");
    expect(r.run.last_error).toBeNull();
    const logs = logsOf(r.calls[0]);
    expect(logs).toMatch(expected);
    expect(toolMessages(t.ollama.chatRequests[1])[0]!.content).toBe(logs);
    expect(textAndAnnotations(r.reply).text).toBe("That did not work.");
    // Nothing reached the host: no marker file, no request from inside, no stored output, no change to Node.
    expect(fs.existsSync(MARKER)).toBe(false);
    expect(fs.existsSync("/tmp/escaped.txt")).toBe(false);
    expect(t.ollama.requests.filter((r) => r.path === "/api/tags").length).toBe(tagsBefore);
    expect((await t.client.files.list({ purpose: "assistants_output" })).data).toEqual([]);
    expect(typeof process.exit).toBe("function");
  });

  it("the session still works after a memory bomb reset it, and says so", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "try it");
    const r = await runScripted(
      t,
      assistantId,
      threadId,
      callCode("var before = 1; const a = []; for (;;) a.push(new Array(100000).fill(1.5))"),
      callCode("typeof before + ' ' + (6 * 7)"),
      { text: "recovered" },
    );
    expect(r.run.status).toBe("completed");
    const [bomb, after] = r.calls.map((c) => logsOf(c));
    expect(bomb).toMatch(/^memory limit exceeded: .* The session was reset/);
    expect(after).toBe("=> undefined 42");
  });

  it("an infinite loop in one thread's run does not stop another thread's run (same worker)", async () => {
    const t = app();
    const slow = await ciThread(t, "slow");
    const fast = await ciThread(t, "fast");
    t.ollama.script((body) => (body.messages.some((m) => m.content === "slow") ? callCode("for (;;) {}") : callCode("'quick'")));
    t.ollama.script((body) => (body.messages.some((m) => m.content === "slow") ? callCode("for (;;) {}") : callCode("'quick'")));
    t.ollama.script({ text: "a" }, { text: "b" });
    const [r1, r2] = await Promise.all([runScripted(t, slow.assistantId, slow.threadId), runScripted(t, fast.assistantId, fast.threadId)]);
    expect([r1.run.status, r2.run.status]).toEqual(["completed", "completed"]);
    expect(logsOf(r1.calls[0])).toMatch(/^timeout/);
    expect(logsOf(r2.calls[0])).toBe("=> quick");
  });
});
