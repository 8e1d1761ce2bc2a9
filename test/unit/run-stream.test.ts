import { describe, expect, it } from "vitest";
import { QueueOverflow } from "../../src/concurrency/async-queue.js";
import { RunEvents, type RunEvent } from "../../src/runs/events.js";
import { Outbox } from "../../src/runs/outbox.js";
import { RunStream } from "../../src/runs/run-stream.js";
import { openDb } from "../../src/store/db.js";

const event = (name: string, data: unknown = {}): RunEvent => ({ event: name, data });

async function drain(stream: RunStream): Promise<string[]> {
  const seen: string[] = [];
  for await (const e of stream) seen.push(e.event);
  return seen;
}

describe("RunStream", () => {
  it("ends after the run's final event and unsubscribes itself", async () => {
    const bus = new RunEvents();
    const stream = new RunStream(bus, (e) => e).follow("run_1");
    bus.emit("run_1", "thread.run.created", {});
    bus.emit("run_1", "thread.run.requires_action", {});
    expect(bus.hasListeners("run_1")).toBe(false);
    bus.emit("run_1", "thread.run.queued", {}); // after the final event: not this stream's any more
    expect(await drain(stream)).toEqual(["thread.run.created", "thread.run.requires_action"]);
  });

  it("presents every event for its client (include[]) before buffering it", async () => {
    const bus = new RunEvents();
    const stream = new RunStream(bus, (e) => ({ ...e, data: "presented" })).follow("run_1");
    stream.push(event("thread.created"));
    bus.emit("run_1", "thread.run.completed", { raw: true });
    const all: RunEvent[] = [];
    for await (const e of stream) all.push(e);
    expect(all).toEqual([event("thread.created", "presented"), event("thread.run.completed", "presented")]);
  });

  it("drops a reader that falls too far behind, not the run: the emitter goes on, the reader gets QueueOverflow", async () => {
    const bus = new RunEvents();
    const stream = new RunStream(bus, (e) => e, 3).follow("run_1");
    for (let i = 0; i < 10; i++) bus.emit("run_1", "thread.message.delta", { i });
    expect(bus.hasListeners("run_1")).toBe(false);
    await expect(stream.next()).rejects.toBeInstanceOf(QueueOverflow);
  });

  it("close() (the client left) unsubscribes", () => {
    const bus = new RunEvents();
    const stream = new RunStream(bus, (e) => e).follow("run_1");
    stream.close();
    expect(bus.hasListeners("run_1")).toBe(false);
  });
});

describe("Outbox", () => {
  it("delivers events emitted in a transaction only after it commits, and none of a rolled-back one", () => {
    const db = openDb(":memory:");
    db.exec("CREATE TABLE t (x INTEGER)");
    const bus = new RunEvents();
    const outbox = new Outbox(db, bus);
    const seen: { event: string; inTransaction: boolean; rows: number }[] = [];
    bus.subscribe("run_1", (e) => seen.push({ event: e.event, inTransaction: db.inTransaction, rows: (db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n }));

    outbox.transaction(() => {
      db.prepare("INSERT INTO t VALUES (1)").run();
      outbox.emit("run_1", "thread.run.created", {});
      outbox.transaction(() => outbox.emit("run_1", "thread.run.queued", {})); // nested: joins the outer one
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([
      { event: "thread.run.created", inTransaction: false, rows: 1 },
      { event: "thread.run.queued", inTransaction: false, rows: 1 },
    ]);

    expect(() =>
      outbox.transaction(() => {
        db.prepare("INSERT INTO t VALUES (2)").run();
        outbox.emit("run_1", "thread.run.created", {});
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    outbox.emit("run_1", "thread.run.failed", {}); // outside a transaction: at once
    expect(seen.map((s) => s.event)).toEqual(["thread.run.created", "thread.run.queued", "thread.run.failed"]);
    db.close();
  });
});
