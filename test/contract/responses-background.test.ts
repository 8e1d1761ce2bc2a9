/**
 * Background responses: created at once and finished later, cancel stopping the model stream at once, and a
 * restart (a second server on the same DATA_DIR, as after a crash) ending what was left in progress as failed.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "openai";
import { sdkError } from "../helpers/contract.js";
import { expectResponseSchema } from "../helpers/responses.js";
import { useRunApp, waitFor } from "../helpers/runs.js";
import { makeTestApp } from "../helpers/test-app.js";

describe("Responses API: background", () => {
  const app = useRunApp();

  it("answers at once in progress, and the stored response completes on its own", async () => {
    const t = app();
    t.ollama.script({ chunks: ["slow", " reply"], delayMs: 150 });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "take your time", background: true });
    expectResponseSchema(created);
    expect(created.status).toBe("in_progress");
    expect(created.background).toBe(true);
    const done = await waitFor(async () => {
      const r = await t.client.responses.retrieve(created.id);
      return r.status === "completed" ? r : null;
    });
    expectResponseSchema(done);
    expect(done.output_text).toBe("slow reply");
  });

  it("cancel stops the model call at once and ends the response cancelled; cancelling again changes nothing", async () => {
    const t = app();
    t.ollama.script({ hang: true });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "never answered", background: true });
    await waitFor(() => t.ollama.chatRequests.length === 1);
    const started = Date.now();
    const cancelled = await t.client.responses.cancel(created.id);
    expect(Date.now() - started).toBeLessThan(2000);
    expectResponseSchema(cancelled);
    expect(cancelled.status).toBe("cancelled");
    expect((await t.client.responses.retrieve(created.id)).status).toBe("cancelled");
    expect((await t.client.responses.cancel(created.id)).status).toBe("cancelled");
  });

  it("refuses to cancel a response that is not a background one, and background without store", async () => {
    const t = app();
    t.ollama.script({ text: "done" });
    const plain = await t.client.responses.create({ model: "gpt-4o", input: "hi" });
    await sdkError(t.client.responses.cancel(plain.id), BadRequestError);
    const err = await sdkError(t.client.responses.create({ model: "gpt-4o", input: "hi", background: true, store: false }), BadRequestError);
    expect(err.error.param).toBe("background");
  });

  it("a restart ends a background response left in progress as failed, saying so", async () => {
    const t = app();
    t.ollama.script({ hang: true });
    const created = await t.client.responses.create({ model: "gpt-4o", input: "interrupted", background: true });
    await waitFor(() => t.ollama.chatRequests.length === 1);
    // A second server on the same data, as after a crash of the first (which never got to finish it).
    const restarted = await makeTestApp({ DATA_DIR: t.dataDir, OLLAMA_HOST: t.ollama.url });
    try {
      const after = await restarted.client.responses.retrieve(created.id);
      expectResponseSchema(after);
      expect(after.status).toBe("failed");
      expect(after.error).toMatchObject({ code: "server_error", message: expect.stringMatching(/server stopped/) });
    } finally {
      await restarted.close();
    }
  });
});
