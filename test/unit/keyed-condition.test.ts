import { describe, expect, it } from "vitest";
import { KeyedCondition } from "../../src/concurrency/keyed-condition.js";

/** Lets every pending callback and timer due now run: a 50 ms poll would not have fired yet. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedCondition", () => {
  it("resolves at once when the condition holds already, subscribing nothing", async () => {
    const c = new KeyedCondition<string>();
    expect(await c.until(["a"], () => true)).toBe(true);
    expect(c.waiting("a")).toBe(0);
  });

  it("resolves on the notify that makes the condition true, not on others, and unsubscribes", async () => {
    const c = new KeyedCondition<string>();
    let left = 2;
    let resolved = false;
    const wait = c.until(["a", "b"], () => left === 0).then((r) => (resolved = r));
    left = 1;
    c.notify("a");
    await turn();
    expect(resolved).toBe(false);
    left = 0;
    c.notify("c"); // another key: nobody checks
    await turn();
    expect(resolved).toBe(false);
    c.notify("b");
    await turn();
    expect(resolved).toBe(true);
    await wait;
    expect(c.waiting("a") + c.waiting("b")).toBe(0);
  });

  it("rejects with the signal's reason when it aborts, before or during the wait", async () => {
    const c = new KeyedCondition<string>();
    const before = new AbortController();
    before.abort(new Error("cancelled before"));
    await expect(c.until(["a"], () => true, { signal: before.signal })).rejects.toThrow("cancelled before");
    const during = new AbortController();
    const wait = c.until(["a"], () => false, { signal: during.signal });
    during.abort(new Error("cancelled during"));
    await expect(wait).rejects.toThrow("cancelled during");
    expect(c.waiting("a")).toBe(0);
  });

  it("resolves false after timeoutMs when the condition never holds", async () => {
    const c = new KeyedCondition<string>();
    const t0 = Date.now();
    expect(await c.until(["a"], () => false, { timeoutMs: 30 })).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(c.waiting("a")).toBe(0);
  });

  it("rejects with what the condition throws", async () => {
    const c = new KeyedCondition<string>();
    let fail = false;
    const wait = c.until(["a"], () => {
      if (fail) throw new Error("the database is closed");
      return false;
    });
    fail = true;
    c.notify("a");
    await expect(wait).rejects.toThrow("the database is closed");
  });
});
