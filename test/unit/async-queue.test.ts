import { describe, expect, it } from "vitest";
import { AsyncQueue, QueueOverflow } from "../../src/concurrency/async-queue.js";

describe("AsyncQueue", () => {
  it("hands items out in order, to a reader that waits before they are pushed", async () => {
    const q = new AsyncQueue<number>();
    const read = (async () => {
      const seen: number[] = [];
      for await (const n of q) seen.push(n);
      return seen;
    })();
    q.push(1);
    await Promise.resolve();
    q.push(2);
    q.push(3);
    q.close();
    expect(await read).toEqual([1, 2, 3]);
  });

  it("gives buffered items before the end, and refuses pushes after close", async () => {
    const q = new AsyncQueue<string>();
    q.push("a");
    q.close();
    expect(q.push("b")).toBe(false);
    expect(await q.next()).toEqual({ done: false, value: "a" });
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it("ends a waiting reader when its signal aborts, and the queue stays usable", async () => {
    const q = new AsyncQueue<number>();
    const abort = new AbortController();
    const waiting = q.next(abort.signal);
    abort.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    q.push(7);
    expect(await q.next()).toEqual({ done: false, value: 7 });
  });

  it("throws a close error to the reader, after dropping what was buffered", async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.close(new Error("boom"));
    await expect(q.next()).rejects.toThrow("boom");
  });

  it("with afterBuffered, gives what was buffered before the close error", async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.push(2);
    q.close(new Error("failed after two"), { afterBuffered: true });
    expect(await q.next()).toEqual({ done: false, value: 1 });
    expect(await q.next()).toEqual({ done: false, value: 2 });
    await expect(q.next()).rejects.toThrow("failed after two");
  });

  it("closes itself with QueueOverflow when a reader falls too far behind; the producer only sees false", async () => {
    const q = new AsyncQueue<number>({ maxBuffered: 3 });
    expect([1, 2, 3].map((n) => q.push(n))).toEqual([true, true, true]);
    expect(q.push(4)).toBe(false);
    expect(q.closed).toBe(true);
    await expect(q.next()).rejects.toBeInstanceOf(QueueOverflow);
  });

  it("keeps order across many items (its buffer compacts as it is read)", async () => {
    const q = new AsyncQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push((await q.next()).value as number);
    }
    q.close();
    for await (const n of q) out.push(n);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
