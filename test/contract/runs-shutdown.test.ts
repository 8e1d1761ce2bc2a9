import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { makeRunApp } from "../helpers/run-app.js";
import { makeTestApp } from "../helpers/test-app.js";

describe("runs: graceful shutdown", () => {
  it("ends running and queued runs failed (server_error), not cancelled, and the next boot finds them so (sharing the store, queued ones are left to the next node)", async () => {
    const t = await makeRunApp({ RUN_CONCURRENCY: "1" });
    const assistant = await t.assistant();
    const [a, b] = await Promise.all([t.client.beta.threads.create({ messages: [{ role: "user", content: "one" }] }), t.client.beta.threads.create({ messages: [{ role: "user", content: "two" }] })]);
    t.ollama.script({ chunks: ["slow", " reply", " that", " never", " ends"], delayMs: 2_000 });
    const running = await t.client.beta.threads.runs.create(a.id, { assistant_id: assistant.id });
    const queued = await t.client.beta.threads.runs.create(b.id, { assistant_id: assistant.id });
    await expect.poll(async () => (await t.client.beta.threads.runs.retrieve(running.id, { thread_id: a.id })).status, { interval: 20 }).toBe("in_progress");

    await t.services.close(); // what SIGTERM does
    await t.ollama.close();
    const reopened = await makeTestApp({ DATA_DIR: t.dataDir });
    try {
      const after = await reopened.client.beta.threads.runs.retrieve(running.id, { thread_id: a.id });
      expect(after.status).toBe("failed");
      expect(after.last_error).toEqual({ code: "server_error", message: expect.stringContaining("shut down") });
      if (process.env.TEST_DATABASE_URL === undefined) {
        // Alone, nobody would run the queued one: it ends failed too.
        const left = await reopened.client.beta.threads.runs.retrieve(queued.id, { thread_id: b.id });
        expect(left.status).toBe("failed");
        expect(left.last_error).toEqual({ code: "server_error", message: expect.stringContaining("shut down") });
      } else {
        // Sharing the store (PostgreSQL), it was left queued for another node: the reopened one runs it (and,
        // its model gone, fails it for that reason, not for the shutdown).
        await expect.poll(async () => (await reopened.client.beta.threads.runs.retrieve(queued.id, { thread_id: b.id })).status, { interval: 50, timeout: 10_000 }).toBe("failed");
        const ran = await reopened.client.beta.threads.runs.retrieve(queued.id, { thread_id: b.id });
        expect(ran.last_error?.message).not.toContain("shut down");
      }
      const messages = await reopened.client.beta.threads.messages.list(a.id);
      expect(messages.data.every((m) => m.status !== "in_progress")).toBe(true);
    } finally {
      await reopened.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
