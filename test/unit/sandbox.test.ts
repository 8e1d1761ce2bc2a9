import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createQuickJsSandbox, SANDBOX_API_DESCRIPTION, type CodeSandbox, type SandboxFile } from "../../src/sandbox/index.js";

const text = (name: string, content: string): SandboxFile => ({ name, bytes: new TextEncoder().encode(content) });
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("QuickJS sandbox: running code", () => {
  let sandbox: CodeSandbox;
  beforeAll(() => {
    sandbox = createQuickJsSandbox();
  });
  afterAll(() => sandbox.close());

  it("runs a calculation, returning console output and the last value", async () => {
    const r = await sandbox.run(
      `const xs = [1, 2, 3, 4];\nconst total = xs.reduce((a, b) => a + b, 0);\nconsole.log("total", total, { xs });\ntotal * 2`,
      { sessionKey: "calc", files: [] },
    );
    expect(r).toEqual({ logs: "total 10 {xs: [1, 2, 3, 4]}\n", error: null, files: [], result: "20" });
  });

  it("end() forgets a session's variables; other sessions keep theirs", async () => {
    await sandbox.run("var kept = 41", { sessionKey: "ending", files: [] });
    await sandbox.run("var other = 1", { sessionKey: "staying", files: [] });
    expect((await sandbox.run("kept + 1", { sessionKey: "ending", files: [] })).result).toBe("42");
    sandbox.end("ending");
    sandbox.end("never-opened"); // nothing to end: no error
    expect((await sandbox.run("typeof kept", { sessionKey: "ending", files: [] })).result).toBe("undefined");
    expect((await sandbox.run("other", { sessionKey: "staying", files: [] })).result).toBe("1");
  });

  it("end() answers calls still waiting for that session instead of running them", async () => {
    const one = createQuickJsSandbox({ poolSize: 1 });
    try {
      const busy = one.run("const until = Date.now() + 300; while (Date.now() < until) {} 'done'", { sessionKey: "busy", files: [] });
      const waiting = one.run("var made = true", { sessionKey: "doomed", files: [] });
      one.end("doomed");
      expect((await waiting).error).toMatch(/session ended/);
      expect((await busy).result).toBe("done");
      expect((await one.run("typeof made", { sessionKey: "doomed", files: [] })).result).toBe("undefined");
    } finally {
      await one.close();
    }
  });

  it("reads a CSV file by name and sums a column", async () => {
    const csv = text("sales.csv", "region,amount\nnorth,10.5\nsouth,20\neast,4.5\n");
    const code = `
      const [header, ...rows] = files.readText("sales.csv").trim().split("\\n");
      const col = header.split(",").indexOf("amount");
      rows.reduce((sum, row) => sum + Number(row.split(",")[col]), 0);`;
    const r = await sandbox.run(code, { sessionKey: "csv", files: [csv] });
    expect(r.error).toBeNull();
    expect(r.result).toBe("35");
    expect(r.files).toEqual([]); // inputs that were only read are not outputs
  });

  it("returns files the code wrote, text and binary, but not unchanged rewrites", async () => {
    const first = await sandbox.run(
      `files.writeText("report.md", "# Report\\nok"); files.writeBytes("img.png", new Uint8Array([137, 80, 78, 71])); files.list()`,
      { sessionKey: "writer", files: [text("in.txt", "x")] },
    );
    expect(first.error).toBeNull();
    expect(first.result).toBe(JSON.stringify(["img.png", "in.txt", "report.md"]));
    expect(first.files.map((f) => f.name).sort()).toEqual(["img.png", "report.md"]);
    expect(decode(first.files.find((f) => f.name === "report.md")!.bytes)).toBe("# Report\nok");
    expect([...first.files.find((f) => f.name === "img.png")!.bytes]).toEqual([137, 80, 78, 71]);

    const second = await sandbox.run(
      `files.writeText("report.md", "# Report\\nok"); files.writeText("in.txt", "changed"); Array.from(files.readBytes("img.png"))`,
      { sessionKey: "writer", files: [] },
    );
    expect(second.result).toBe("[137,80,78,71]");
    expect(second.files.map((f) => f.name)).toEqual(["in.txt"]);
  });

  it("keeps variables and functions within a session and never shares them across sessions", async () => {
    await sandbox.run(`var counter = 41; function bump() { return ++counter; }`, { sessionKey: "s1", files: [] });
    expect((await sandbox.run(`bump()`, { sessionKey: "s1", files: [] })).result).toBe("42");
    expect((await sandbox.run(`counter`, { sessionKey: "s1", files: [] })).result).toBe("42");
    const other = await sandbox.run(`typeof counter + "," + typeof bump`, { sessionKey: "s2", files: [] });
    expect(other.result).toBe("undefined,undefined");
  });

  it("lets a session re-run code that declares the same top-level names", async () => {
    const code = `const rows = [1, 2, 3];\nlet label = "n";\nclass Stat { constructor(x) { this.x = x; } }\nlabel + new Stat(rows.length).x`;
    for (let i = 0; i < 2; i++) {
      expect(await sandbox.run(code, { sessionKey: "rerun", files: [] })).toMatchObject({ error: null, result: "n3" });
    }
    const failed = await sandbox.run(`const parsed = JSON.parse("{oops");`, { sessionKey: "rerun", files: [] });
    expect(failed.error).toMatch(/^SyntaxError/);
    const fixed = await sandbox.run(`const parsed = JSON.parse('{"ok": true}');\nparsed.ok`, { sessionKey: "rerun", files: [] });
    expect(fixed).toMatchObject({ error: null, result: "true" });
  });

  it("returns no result when the last statement has no value", async () => {
    const r = await sandbox.run(`console.log("only output")`, { sessionKey: "no-result", files: [] });
    expect(r).toEqual({ logs: "only output\n", error: null, files: [] });
  });

  it("awaits a promise left as the last value, and runs timers on a virtual clock within the call", async () => {
    const r = await sandbox.run(
      `(async () => {
         const order = [];
         setTimeout(() => order.push("slow"), 5000);
         setTimeout(() => order.push("fast"), 10);
         await new Promise((resolve) => setTimeout(resolve, 6000));
         return order;
       })()`,
      { sessionKey: "async", files: [] },
    );
    expect(r).toMatchObject({ error: null, result: JSON.stringify(["fast", "slow"]) });
    const rejected = await sandbox.run(`Promise.reject(new TypeError("bad input"))`, { sessionKey: "async", files: [] });
    expect(rejected.error).toMatch(/^TypeError: bad input/);
  });

  it("reports errors with their type, message and line so a model can fix the code", async () => {
    const syntax = await sandbox.run(`const a = 1;\nconst b = ;`, { sessionKey: "errors", files: [] });
    expect(syntax.error).toMatch(/^SyntaxError: .*\n\s+at main\.js:2/);
    const thrown = await sandbox.run(`function check() { throw new Error("thrown msg"); }\ncheck();`, { sessionKey: "errors", files: [] });
    expect(thrown.error).toMatch(/^Error: thrown msg\n\s+at check \(main\.js:1/);
    expect(thrown.logs).toBe("");
  });

  it("describes the guest API for the model", () => {
    for (const api of ["files.readText(name)", "files.writeBytes", "console.log", "files.list()", "No network"]) {
      expect(SANDBOX_API_DESCRIPTION).toContain(api);
    }
  });
});

describe("QuickJS sandbox: sessions and workers", () => {
  const opened: CodeSandbox[] = [];
  const open = (options: Parameters<typeof createQuickJsSandbox>[0]): CodeSandbox => {
    const sandbox = createQuickJsSandbox(options);
    opened.push(sandbox);
    return sandbox;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it("evicts the least recently used session beyond maxSessions and says so on its next call", async () => {
    const sandbox = open({ maxSessions: 2, poolSize: 1 });
    for (const key of ["a", "b"]) await sandbox.run(`var mine = "${key}"`, { sessionKey: key, files: [] });
    await sandbox.run(`mine`, { sessionKey: "a", files: [] }); // a is now more recent than b
    await sandbox.run(`var mine = "c"`, { sessionKey: "c", files: [] }); // evicts b
    expect((await sandbox.run(`mine`, { sessionKey: "a", files: [] })).result).toBe("a");
    const b = await sandbox.run(`typeof mine`, { sessionKey: "b", files: [] });
    expect(b.result).toBe("undefined");
    expect(b.logs).toMatch(/^\[sandbox\] note: this session was reset because it was evicted/);
  });

  it("frees sessions idle longer than sessionIdleMs", async () => {
    let now = 1_000_000;
    const sandbox = open({ sessionIdleMs: 60_000, poolSize: 1, now: () => now });
    await sandbox.run(`var kept = 1`, { sessionKey: "idle", files: [] });
    now += 30_000;
    expect((await sandbox.run(`kept`, { sessionKey: "idle", files: [] })).result).toBe("1");
    now += 61_000;
    const expired = await sandbox.run(`typeof kept`, { sessionKey: "idle", files: [] });
    expect(expired.result).toBe("undefined");
    expect(expired.logs).toContain("expired after 60 seconds unused");
  });

  it("keeps the main thread responsive while a sandbox spins for 2 seconds", async () => {
    const sandbox = open({ poolSize: 1 });
    await sandbox.run(`1`, { sessionKey: "warm", files: [] }); // worker started and module ready
    const spinning = sandbox.run(`while (true) {}`, { sessionKey: "spin", files: [], limits: { timeMs: 2_000 } });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the loop is surely running now
    const asked = performance.now();
    const lag = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - asked), 10));
    expect(lag).toBeLessThan(100);
    expect((await spinning).error).toMatch(/^timeout: execution exceeded 2000 ms/);
  });

  it("hard-stops a call stuck in a native built-in, replaces the worker and reports lost sessions", async () => {
    const sandbox = open({ poolSize: 1, hardStopGraceMs: 300 });
    await sandbox.run(`var neighbour = "here"`, { sessionKey: "neighbour", files: [] });
    const started = performance.now();
    // BigInt-to-string on a huge number runs inside one native call that never checks for interrupts.
    const stuck = await sandbox.run(`String(7n ** 350000n).length`, { sessionKey: "stuck", files: [], limits: { timeMs: 200 } });
    expect(stuck.error).toMatch(/^timeout: execution exceeded 200 ms and had to be force-stopped; the session was reset/);
    expect(performance.now() - started).toBeLessThan(1_500);
    const after = await sandbox.run(`typeof neighbour`, { sessionKey: "neighbour", files: [] });
    expect(after.result).toBe("undefined");
    expect(after.logs).toContain("another execution in its worker had to be force-stopped");
    expect((await sandbox.run(`6 * 7`, { sessionKey: "stuck", files: [] })).result).toBe("42");
  });

  it("a cancelled call stops at its next interrupt check; a queued one never runs; the session keeps its state", async () => {
    const sandbox = open({ poolSize: 1 });
    const CANCELLED = "cancelled: the run was cancelled, so this code was stopped";
    await sandbox.run(`var kept = 7`, { sessionKey: "s", files: [] });
    const running = new AbortController();
    const waiting = new AbortController();
    const started = performance.now();
    const spinning = sandbox.run(`while (true) {}`, { sessionKey: "s", files: [], limits: { timeMs: 20_000 }, signal: running.signal });
    const queued = sandbox.run(`kept = 8`, { sessionKey: "s", files: [], signal: waiting.signal }); // behind the loop
    setTimeout(() => {
      waiting.abort();
      running.abort();
    }, 300);
    expect(await spinning).toEqual({ logs: "", error: CANCELLED, files: [] });
    expect(performance.now() - started).toBeLessThan(10_000); // not the 20 s time limit
    expect((await queued).error).toBe(CANCELLED);
    expect((await sandbox.run(`kept`, { sessionKey: "s", files: [] })).result).toBe("7");
    // Stopped inside a timer callback too, and an already aborted call does not run at all.
    const timers = new AbortController();
    const inTimer = sandbox.run(`setTimeout(() => { while (true) {} }, 10)`, { sessionKey: "s", files: [], limits: { timeMs: 20_000 }, signal: timers.signal });
    setTimeout(() => timers.abort(), 300);
    expect((await inTimer).error).toBe(CANCELLED);
    expect((await sandbox.run(`kept = 9`, { sessionKey: "s", files: [], signal: AbortSignal.abort() })).error).toBe(CANCELLED);
    expect((await sandbox.run(`kept`, { sessionKey: "s", files: [] })).result).toBe("7");
  });

  it("runs sessions on different workers at the same time", async () => {
    const sandbox = open({ poolSize: 2 });
    await Promise.all(["p", "q"].map((key) => sandbox.run(`1`, { sessionKey: key, files: [] })));
    // Each call reports the wall-clock window it spun in; windows that overlap ran at the same time.
    const spin = `const start = Date.now(); while (Date.now() < start + 400) {} [start, Date.now()]`;
    const results = await Promise.all(["p", "q"].map((key) => sandbox.run(spin, { sessionKey: key, files: [] })));
    const [p, q] = results.map((r) => JSON.parse(r.result ?? "null") as [number, number]);
    expect(p![0] < q![1] && q![0] < p![1]).toBe(true);
  });

  it("answers calls made after close() with an error", async () => {
    const sandbox = open({ poolSize: 1 });
    await sandbox.close();
    expect(await sandbox.run(`1`, { sessionKey: "late", files: [] })).toEqual({ logs: "", error: "sandbox closed", files: [] });
  });
});
