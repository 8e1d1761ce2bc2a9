/**
 * Hostile and runaway code: every attempt must end with a readable error (or be harmless), and the sandbox
 * must keep working afterwards — each case is followed by a normal call in the same session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQuickJsSandbox, type CodeSandbox, type SandboxResult } from "../../src/sandbox/index.js";

const TIME_MS = 300;
const OUTPUT_BYTES = 4096;
const TIMEOUT = /^timeout: execution exceeded 300 ms/;
const MEMORY = /^memory limit exceeded/;

interface Attempt {
  name: string;
  code: string;
  check(result: SandboxResult): void;
  /** Memory bombs get more time so a slow, busy machine still reaches the memory cap before the deadline. */
  slow?: boolean;
}

const errorMatches = (pattern: RegExp) => (r: SandboxResult) => expect(r.error).toMatch(pattern);

const attempts: Attempt[] = [
  { name: "infinite while(true) loop", code: `while (true) {}`, check: errorMatches(TIMEOUT) },
  {
    name: "for(;;) with try/catch swallowing the interrupt",
    code: `for (;;) { try { while (true) {} } catch (e) { /* keep going */ } }`,
    check: errorMatches(TIMEOUT),
  },
  {
    name: "memory bomb: string doubling",
    code: `let s = "x"; for (;;) { s = s + s; s.charCodeAt(s.length - 1); }`,
    slow: true,
    check: errorMatches(/^(memory limit exceeded|InternalError: string too long)/),
  },
  { name: "memory bomb: array push", code: `const a = []; for (;;) a.push({ n: a.length });`, check: errorMatches(MEMORY), slow: true },
  { name: "memory bomb: huge typed array", code: `new Uint8Array(2 ** 27).length`, check: errorMatches(MEMORY), slow: true },
  { name: "deep recursion", code: `function down(n) { return down(n + 1) + 1; } down(0)`, check: errorMatches(/stack overflow/) },
  { name: "catastrophic regex /(a+)+$/", code: `/(a+)+$/.test("a".repeat(40) + "!")`, check: errorMatches(TIMEOUT) },
  {
    name: "huge console output",
    code: `for (let i = 0; i < 100000; i++) console.log("line " + i); "printed"`,
    check: (r) => {
      expect(r.error).toBeNull();
      expect(r.result).toBe("printed");
      expect(r.logs).toMatch(/^line 0\nline 1\n[^]*\n\[output truncated: everything after the first 4096 bytes was dropped;/);
      expect(Buffer.byteLength(r.logs)).toBeLessThan(OUTPUT_BYTES + 200);
    },
  },
  {
    name: "huge file write",
    code: `files.writeBytes("big.bin", new Uint8Array(2 * 1024 * 1024))`,
    check: errorMatches(/^Error: file write limit exceeded: written files may total at most 1048576 bytes/),
  },
  {
    name: "many small files adding up past the write limit",
    code: `for (let i = 0; i < 50; i++) files.writeText("part" + i + ".txt", "x".repeat(100000));`,
    check: errorMatches(/^Error: file write limit exceeded/),
  },
  {
    name: "endless empty files (no bytes, many names)",
    code: `for (let i = 0; ; i++) files.writeText("empty" + i + ".txt", "");`,
    check: errorMatches(/^Error: too many files: a session can hold at most 1000/),
  },
  {
    name: "gigantic error message",
    code: `throw new Error("E".repeat(5000000))`,
    check: (r) => {
      expect(r.error).toMatch(/^Error: EEEE[^]*\n\[truncated: \d+ bytes in total\]$/);
      expect(Buffer.byteLength(r.error ?? "")).toBeLessThanOrEqual(OUTPUT_BYTES);
    },
  },
  { name: "process", code: `process.exit(1)`, check: errorMatches(/^ReferenceError: 'process' is not defined/) },
  { name: "require", code: `require("fs").readFileSync("/etc/passwd")`, check: errorMatches(/^Error: require\(\) is not available/) },
  { name: "dynamic import('fs')", code: `import("fs")`, check: errorMatches(/^Error: cannot import "fs": modules are not available/) },
  { name: "static import", code: `import fs from "fs";\nfs.readFileSync("/etc/passwd")`, check: errorMatches(/^SyntaxError/) },
  {
    name: "globalThis.constructor.constructor('return process')()",
    code: `globalThis.constructor.constructor("return process")()`,
    check: errorMatches(/^ReferenceError: 'process' is not defined/),
  },
  { name: "fetch", code: `fetch("http://127.0.0.1:11434/api/tags")`, check: errorMatches(/^Error: fetch\(\) is not available in this sandbox; the sandbox has no network/) },
  { name: "XMLHttpRequest", code: `new XMLHttpRequest()`, check: errorMatches(/^ReferenceError: 'XMLHttpRequest' is not defined/) },
  {
    name: "setTimeout meant to outlive the call (runs inside the call on the virtual clock)",
    code: `setTimeout(() => console.log("late"), 60000); "scheduled"`,
    check: (r) => expect(r).toMatchObject({ error: null, result: "scheduled", logs: "late\n" }),
  },
  { name: "setInterval never cleared", code: `setInterval(() => {}, 10)`, check: errorMatches(TIMEOUT) },
  {
    name: "Function('return this')() looking for host objects",
    code: `const g = Function("return this")();
      ["process", "Buffer", "global", "module", "exports", "__dirname", "host", "WebAssembly", "XMLHttpRequest", "Deno"]
        .filter((k) => typeof g[k] !== "undefined")`,
    check: (r) => expect(r).toMatchObject({ error: null, result: "[]" }),
  },
  { name: "host bridge is not a global", code: `typeof host + typeof __host + typeof parentPort`, check: (r) => expect(r.result).toBe("undefinedundefinedundefined") },
  { name: "WebAssembly", code: `new WebAssembly.Module(new Uint8Array([0, 97, 115, 109]))`, check: errorMatches(/^ReferenceError: 'WebAssembly' is not defined/) },
  {
    name: "SharedArrayBuffer + Atomics.wait blocking",
    code: `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)`,
    check: errorMatches(/^ReferenceError: 'Atomics' is not defined/),
  },
  {
    name: "infinite getter and toString on a thrown object",
    code: `throw { get name() { while (true) {} }, get message() { while (true) {} }, toString() { while (true) {} } }`,
    check: errorMatches(/^Uncaught exception \(its value could not be printed\)/),
  },
  {
    name: "thrown Error whose message getter loops",
    code: `const e = new Error("x"); Object.defineProperty(e, "message", { get() { for (;;) {} } }); throw e;`,
    check: errorMatches(/^Uncaught exception \(its value could not be printed\)/),
  },
  { name: "infinite getter while console.log formats an object", code: `console.log({ get x() { for (;;) {} } })`, check: errorMatches(TIMEOUT) },
  {
    name: "Proxy whose ownKeys loops, left as the result",
    code: `new Proxy({}, { ownKeys() { for (;;) {} } })`,
    check: (r) => expect(r).toMatchObject({ error: null, result: expect.stringMatching(/could not be converted to text/) }),
  },
  { name: "throw a number", code: `throw 42`, check: (r) => expect(r.error).toBe("Uncaught 42") },
  { name: "throw a string", code: `throw "oops"`, check: (r) => expect(r.error).toBe('Uncaught "oops"') },
  { name: "throw null", code: `throw null`, check: (r) => expect(r.error).toBe("Uncaught null") },
  { name: "throw a plain object", code: `throw { code: 7, reason: "nope" }`, check: (r) => expect(r.error).toBe('Uncaught {code: 7, reason: "nope"}') },
  {
    name: "eval of huge code",
    code: `eval("1+".repeat(3000000) + "1")`,
    check: errorMatches(/^(memory limit exceeded|InternalError: stack overflow|timeout)/),
  },
  { name: "code itself too long", code: `"${"x".repeat(1_100_000)}"`, check: errorMatches(/^code is too long/) },
  { name: "async infinite loop via await", code: `(async () => { while (1) await 0; })()`, check: errorMatches(TIMEOUT) },
  {
    name: "microtask ping-pong that never ends (not awaited)",
    code: `const f = () => { Promise.resolve().then(f); }; f(); "started"`,
    check: errorMatches(TIMEOUT),
  },
  {
    name: "promise chain that grows until time or memory runs out",
    code: `const g = () => Promise.resolve().then(g); g(); "started"`,
    // QuickJS turns an out-of-memory inside a promise job into a rejection nobody sees, which ends the chain:
    // then the call simply succeeds, and the garbage is collected.
    check: (r) => expect(r.error === null ? r.result : r.error).toMatch(/^(timeout: execution exceeded 300 ms|memory limit exceeded|started$)/),
  },
  {
    name: "interrupt caught through promise rejection and restarted forever",
    code: `function spin() { return new Promise(() => { for (;;) {} }).catch(spin); } spin(); "spinning"`,
    check: errorMatches(TIMEOUT),
  },
  { name: "promise that never settles", code: `new Promise(() => {})`, check: errorMatches(/never settled/) },
  {
    name: "very long JSON.parse",
    code: `JSON.parse("[" + "1,".repeat(3000000) + "1]").length`,
    slow: true,
    check: (r) => expect(r.result === "3000001" || MEMORY.test(r.error ?? "")).toBe(true),
  },
  {
    name: "reading a file that does not exist",
    code: `files.readText("nope.csv")`,
    check: errorMatches(/^Error: file not found: "nope.csv" \(available files: "given.txt"\)/),
  },
  { name: "path traversal in a written file name", code: `files.writeText("../../etc/passwd", "x")`, check: errorMatches(/^Error: invalid file name/) },
  {
    name: "overriding console, JSON and Array.prototype in the session",
    code: `console = null; JSON.stringify = () => { for (;;) {} }; Array.prototype.map = null; "vandalised"`,
    check: (r) => expect(r).toMatchObject({ error: null, result: "vandalised" }),
  },
];

describe("QuickJS sandbox: limit and escape attempts", () => {
  let sandbox: CodeSandbox;
  beforeAll(() => {
    sandbox = createQuickJsSandbox({
      poolSize: 2,
      maxFileBytes: 1024 * 1024,
      limits: { timeMs: TIME_MS, memoryBytes: 32 * 1024 * 1024, outputBytes: OUTPUT_BYTES },
    });
  });
  afterAll(() => sandbox.close());

  it("lists at least 20 distinct attempts", () => {
    expect(new Set(attempts.map((a) => a.name)).size).toBe(attempts.length);
    expect(attempts.length).toBeGreaterThanOrEqual(20);
  });

  it.each(attempts)("$name", async ({ name, code, check, slow }) => {
    const given = [{ name: "given.txt", bytes: new TextEncoder().encode("hello") }];
    const limits = slow ? { timeMs: 5_000 } : {};
    const result = await sandbox.run(code, { sessionKey: name, files: given, limits });
    check(result);
    const after = await sandbox.run(`[1, 2, 3].length + 39`, { sessionKey: name, files: [] });
    expect(after).toMatchObject({ error: null, result: "42" });
    expect(after.logs).not.toContain("late");
  });

  it("prototype pollution stays in its session and never reaches the host", async () => {
    const polluted = await sandbox.run(`Object.prototype.polluted = "yes"; Array.prototype.push = () => 0; ({}).polluted`, {
      sessionKey: "polluter",
      files: [],
    });
    expect(polluted.result).toBe("yes");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const clean = await sandbox.run(`const a = []; a.push(1); [typeof ({}).polluted, a.length]`, { sessionKey: "clean", files: [] });
    expect(clean.result).toBe('["undefined",1]');
  });
});
