import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerCrashed, WorkerHost, type WorkerHostOptions } from "../../src/concurrency/worker-host.js";

type Out = { type: "ready" | "echo"; threadId: number; value?: unknown };
type In = { type: "echo"; value: unknown } | { type: "throw" } | { type: "exit"; code: number } | { type: "spin" } | { type: "allocate" };

const ENTRY = new URL("../fixtures/workers/echo-worker.mjs", import.meta.url);
const hosts: Array<WorkerHost<Out, In>> = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

/** A host on the echo worker that records its messages and crashes, with `next()` for the next message. */
function host(options: Partial<WorkerHostOptions<Out>> = {}) {
  const messages: Out[] = [];
  const crashes: WorkerCrashed[] = [];
  let wake: (() => void) | null = null;
  const h = new WorkerHost<Out, In>({
    entry: ENTRY,
    isReady: (m) => m.type === "ready",
    onMessage: (m) => {
      messages.push(m);
      wake?.();
    },
    onCrash: (e) => {
      crashes.push(e);
      wake?.();
    },
    ...options,
  });
  hosts.push(h);
  /** Resolves once `test()` holds, re-checked at every message or crash. */
  const until = async (test: () => boolean): Promise<void> => {
    while (!test()) await new Promise<void>((resolve) => (wake = resolve));
  };
  const echo = async (value: unknown): Promise<Out> => {
    const seen = messages.length;
    h.post({ type: "echo", value });
    await until(() => messages.slice(seen).some((m) => m.type === "echo"));
    return messages.slice(seen).find((m) => m.type === "echo")!;
  };
  return { h, messages, crashes, until, echo };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("WorkerHost", () => {
  it("starts its thread with the first post, not before, and becomes ready", async () => {
    const { h, echo } = host();
    expect(h.running).toBe(false);
    await sleep(50);
    expect(h.running).toBe(false);
    expect((await echo("hi")).value).toBe("hi");
    expect(h.running).toBe(true);
    expect(h.ready).toBe(true);
  });

  it("reports an uncaught error as WorkerCrashed, once, and the next post gets a fresh thread", async () => {
    const { h, crashes, until, echo } = host();
    const first = await echo(1);
    h.post({ type: "throw" });
    await until(() => crashes.length > 0);
    expect(crashes[0]).toBeInstanceOf(WorkerCrashed);
    expect(crashes[0]).toMatchObject({ kind: "error", message: "asked to throw", beforeReady: false });
    expect(h.running).toBe(false);
    const second = await echo(2);
    expect(second.threadId).not.toBe(first.threadId);
    // The "exit" that follows the "error" is not a second crash.
    expect(crashes).toHaveLength(1);
  });

  it("reports an exit with its code", async () => {
    const { h, crashes, until, echo } = host();
    await echo(1);
    h.post({ type: "exit", code: 3 });
    await until(() => crashes.length > 0);
    expect(crashes[0]).toMatchObject({ kind: "exit", exitCode: 3, message: "exited with code 3" });
  });

  it("tells a thread over its heap limit from other crashes", async () => {
    const { h, crashes, until } = host({ resourceLimits: { maxOldGenerationSizeMb: 16 } });
    h.post({ type: "allocate" });
    await until(() => crashes.length > 0);
    expect(crashes[0]!.kind).toBe("out_of_memory");
  });

  it("marks a thread that died before it was ready (a broken start)", async () => {
    const { h, crashes, until } = host({ workerData: { crashAtStart: true } });
    h.start();
    await until(() => crashes.length > 0);
    expect(crashes[0]).toMatchObject({ kind: "error", message: "broken at start", beforeReady: true });
  });

  it("a deadline terminates a thread stuck in synchronous code, without reporting a crash", async () => {
    const { h, crashes, echo } = host();
    const first = await echo(1);
    h.post({ type: "spin" });
    const expired = await new Promise<boolean>((resolve) => h.deadline(100, () => resolve(!h.running)));
    expect(expired).toBe(true); // gone by the time `expired` is called
    expect((await echo(2)).threadId).not.toBe(first.threadId);
    expect(crashes).toEqual([]);
  });

  it("a deadline cancelled in time leaves the thread alone", async () => {
    const { h, echo } = host();
    const first = await echo(1);
    let expired = false;
    const cancel = h.deadline(50, () => (expired = true));
    cancel();
    await sleep(150);
    expect(expired).toBe(false);
    expect((await echo(2)).threadId).toBe(first.threadId);
  });

  it("stop() terminates without a crash report, and drops the stopped thread's late messages", async () => {
    const { h, messages, crashes, echo } = host();
    await echo(1);
    const before = messages.length;
    h.post({ type: "echo", value: "late" });
    await h.stop();
    await sleep(50);
    expect(messages.length).toBe(before);
    expect(crashes).toEqual([]);
    expect(h.running).toBe(false);
  });

  it("stops a thread left idle for idleMs; busy() before then keeps it", async () => {
    const { h, echo } = host({ idleMs: 100 });
    await echo(1);
    h.idle();
    h.busy();
    await sleep(250);
    expect(h.running).toBe(true);
    h.idle();
    await sleep(250);
    expect(h.running).toBe(false);
  });

  it("an idle thread does not keep the process alive; a busy one does", async () => {
    const idle = await runHostProcess("idle", 10_000);
    expect(idle).toEqual({ exited: true, code: 0, stdout: "replied\n" });
    const busy = await runHostProcess("busy", 1500);
    expect(busy).toMatchObject({ exited: false, stdout: "replied\n" });
  });
});

/** Runs test/fixtures/workers/idle-host.ts as a process; kills it if it has not exited after `waitMs`. */
function runHostProcess(mode: "idle" | "busy", waitMs: number): Promise<{ exited: boolean; code: number | null; stdout: string }> {
  const script = new URL("../fixtures/workers/idle-host.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--import", "tsx", script, mode], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => {
    let replied = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ exited: false, code: null, stdout });
    }, waitMs);
    // The busy process is given waitMs from its reply, not from its start (tsx takes a while to load).
    child.stdout.on("data", () => {
      if (replied || mode !== "busy") return;
      replied = true;
      timer.refresh();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ exited: true, code, stdout });
    });
  });
}
