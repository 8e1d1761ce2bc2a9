import { afterEach, describe, expect, it } from "vitest";
import { SyncWorkerCall } from "../../src/store/postgres/sync-worker-call.js";

const WORKER = new URL("../fakes/slow-echo-worker.mjs", import.meta.url);

describe("SyncWorkerCall: a blocking call into a worker thread (the PostgreSQL store's connection)", () => {
  let call: SyncWorkerCall | undefined;
  afterEach(async () => {
    await call?.close();
    call = undefined;
  });

  it("returns the worker's answer, and its error with the code", () => {
    call = new SyncWorkerCall(WORKER, {}, 5_000);
    expect(call.call({ value: { rows: [1, 2] } })).toEqual({ rows: [1, 2] });
    expect(() => call!.call({ fail: true })).toThrow(expect.objectContaining({ message: "it failed", code: "42P01" }));
  });

  it("a call that times out fails alone: the late answer never answers the next call", () => {
    call = new SyncWorkerCall(WORKER, {}, 150);
    expect(() => call!.call({ value: "late", delayMs: 400 })).toThrow(expect.objectContaining({ code: "DATABASE_TIMEOUT" }));
    // The worker is still busy with the first; the next call waits for its own answer, dropping "late".
    expect(call.call({ value: "mine", delayMs: 0 })).toBe("mine");
    const started = Date.now();
    while (Date.now() - started < 400); // let "late" arrive while nobody waits
    expect(call.call({ value: "after" })).toBe("after");
  });

  it("refuses calls once closed", async () => {
    call = new SyncWorkerCall(WORKER, {}, 1_000);
    await call.close();
    expect(() => call!.call({ value: 1 })).toThrow(/closed/);
  });
});
