/**
 * Inputs of code_interpreter calls (#14): the hard stop is timed from the moment the worker has the call's files,
 * not from when they were posted; files the session already holds are not sent again; a skipped input is an error
 * the code reads. The worker stand-in (test/fixtures/workers/slow-sandbox-worker.mjs) plays a slow transfer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createQuickJsSandbox, type CodeSandbox, type SandboxFile, type SandboxLimits } from "../../src/sandbox/index.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { WorkerSlot } from "../../src/sandbox/worker-slot.js";

const STUB = new URL("../fixtures/workers/slow-sandbox-worker.mjs", import.meta.url);
const LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, timeMs: 50 };
const file = (name: string, content: string, key?: string): SandboxFile => ({ name, bytes: new TextEncoder().encode(content), ...(key ? { key } : {}) });

interface Sent {
  name: string;
  sent: boolean;
  bytes: number | null;
}

describe("worker slot: the hard stop and input transfers", () => {
  let slot: WorkerSlot | undefined;
  let lost: string[][] = [];
  afterEach(async () => {
    await slot?.close();
    slot = undefined;
    lost = [];
  });
  function makeSlot(): WorkerSlot {
    slot = new WorkerSlot({
      settings: { maxFileBytes: 1024, spareModules: 0, defaultMemoryBytes: LIMITS.memoryBytes },
      hardStopGraceMs: 50,
      workerHeapMb: 128,
      entry: STUB,
      onSessionsLost: (keys) => lost.push(keys),
    });
    return slot;
  }
  const order = (o: object) => JSON.stringify(o);

  it("a transfer far longer than the time limit does not count toward it: the call answers, no session is reset", async () => {
    const s = makeSlot();
    // Another session lives in the same worker: a hard stop would reset it.
    expect((await s.run("other", order({}), [], LIMITS)).error).toBeNull();
    const r = await s.run("big", order({ transferMs: 600 }), [file("a.csv", "1,2")], LIMITS);
    expect(r.error).toBeNull();
    expect(JSON.parse(r.logs)).toEqual([{ name: "a.csv", sent: true, bytes: 3 }]);
    expect(lost).toEqual([]);
    expect((await s.run("other", order({}), [], LIMITS)).error).toBeNull();
  });

  it("the code itself is still hard-stopped once it started", async () => {
    const s = makeSlot();
    const r = await s.run("spin", order({ transferMs: 10, hang: true }), [], LIMITS);
    expect(r.error).toMatch(/^timeout: execution exceeded 50 ms and had to be force-stopped/);
    expect(lost).toEqual([["spin"]]);
  });

  it("inputs the session holds are sent without bytes; new content, a reset worker or a lost session get them again", async () => {
    const s = makeSlot();
    const a1 = file("a.csv", "abc", "file-a1");
    const b = file("b.txt", "hello", "file-b");
    const sent = async (session: string, files: SandboxFile[], o: object = {}): Promise<Sent[]> => {
      const r = await s.run(session, order(o), files, LIMITS);
      expect(r.error).toBeNull();
      return JSON.parse(r.logs) as Sent[];
    };
    expect(await sent("t1", [a1, b])).toEqual([{ name: "a.csv", sent: true, bytes: 3 }, { name: "b.txt", sent: true, bytes: 5 }]);
    expect(await sent("t1", [a1, b])).toEqual([{ name: "a.csv", sent: false, bytes: null }, { name: "b.txt", sent: false, bytes: null }]);
    // Another session is sent its own copy.
    expect(await sent("t2", [a1])).toEqual([{ name: "a.csv", sent: true, bytes: 3 }]);
    // Other content under the same name: sent.
    expect(await sent("t1", [file("a.csv", "abcd", "file-a2"), b])).toEqual([{ name: "a.csv", sent: true, bytes: 4 }, { name: "b.txt", sent: false, bytes: null }]);
    // Files without a key are always sent.
    expect(await sent("t1", [file("c.txt", "x")])).toEqual([{ name: "c.txt", sent: true, bytes: 1 }]);
    // The worker lost the session on its own: it answers "missing" and gets every file.
    expect(await sent("t1", [a1, b], { forget: true })).toEqual([{ name: "a.csv", sent: true, bytes: 3 }, { name: "b.txt", sent: true, bytes: 5 }]);
    // A disposed session starts over.
    s.dispose("t2");
    expect(await sent("t2", [a1])).toEqual([{ name: "a.csv", sent: true, bytes: 3 }]);
  });
});

describe("QuickJS sandbox: inputs kept by the session and skipped inputs", () => {
  let sandbox: CodeSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it("an input sent once reads the same on later calls, also after the code overwrote it", async () => {
    sandbox = createQuickJsSandbox({ poolSize: 1 });
    const data = file("data.csv", "x,1\ny,2\n", "file-data");
    expect((await sandbox.run('files.readText("data.csv")', { sessionKey: "s", files: [data] })).result).toBe("x,1\ny,2\n");
    expect((await sandbox.run('files.readText("data.csv").length', { sessionKey: "s", files: [data] })).result).toBe("8");
    const overwritten = await sandbox.run('files.writeText("data.csv", "mine"); files.readText("data.csv")', { sessionKey: "s", files: [data] });
    expect(overwritten.result).toBe("mine");
    // The next call gives the attached file again, as every call does: the original bytes, not the code's.
    expect((await sandbox.run('files.readText("data.csv")', { sessionKey: "s", files: [data] })).result).toBe("x,1\ny,2\n");
  });

  it("reading a skipped input throws an error naming the file and the reason; the other inputs read", async () => {
    sandbox = createQuickJsSandbox({ poolSize: 1 });
    const opts = { sessionKey: "s", files: [file("small.txt", "ok", "file-s")], skipped: [{ name: "big.bin", reason: "it is 900 bytes, over the limit of 100 bytes per file" }] };
    const small = await sandbox.run('files.readText("small.txt")', opts);
    expect(small.error).toBeNull();
    expect(small.result).toBe("ok");
    const big = await sandbox.run('files.readBytes("big.bin")', opts);
    expect(big.error?.split("\n")[0]).toBe('Error: file "big.bin" was not loaded into the sandbox: it is 900 bytes, over the limit of 100 bytes per file');
    expect((await sandbox.run("files.list()", opts)).result).toBe(JSON.stringify(["small.txt"]));
  });
});

describe("input caps: configuration", () => {
  it("default to a quarter of the sandbox memory per file and the whole of it per call; the variables override", () => {
    const MB = 1024 * 1024;
    expect(loadConfig({}).sandbox).toMatchObject({ maxFileBytes: 16 * MB, maxInputBytes: 64 * MB });
    expect(loadConfig({ SANDBOX_MEMORY_MB: "128" }).sandbox).toMatchObject({ maxFileBytes: 32 * MB, maxInputBytes: 128 * MB });
    expect(loadConfig({ SANDBOX_MAX_FILE_BYTES: "10", SANDBOX_MAX_INPUT_BYTES: "20" }).sandbox).toMatchObject({ maxFileBytes: 10, maxInputBytes: 20 });
    expect(() => loadConfig({ SANDBOX_MAX_FILE_BYTES: "0" })).toThrow(/SANDBOX_MAX_FILE_BYTES/);
  });
});
