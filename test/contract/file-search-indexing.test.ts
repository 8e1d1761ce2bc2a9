/**
 * A run's file_search over a store whose file is still being indexed: it waits for the file (told by the
 * ingestor when it settles, not by polling), then answers from it; a cancel ends the wait.
 */
import { describe, expect, it } from "vitest";
import { inThreadPdfReader, type PdfReader } from "../../src/files/pdf-reader.js";
import { waitForRun } from "../helpers/runs.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { pdf, settle, upload, useVsApp } from "../helpers/vector-stores.js";

const SEARCH = { toolCalls: [{ name: "file_search", arguments: { query: "737 MAX angle of attack sensor" } }] };

/** A PDF reader that parses nothing until `open()`: the file stays in_progress as long as the test wants. */
function gatedReader(): PdfReader & { open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    open,
    async *pages(bytes, signal) {
      await gate;
      yield* inThreadPdfReader.pages(bytes, signal);
    },
    close: async () => {},
  };
}

/** A run with file_search over a store holding the FAA PDF, started while that PDF's parse is held. */
async function runWhileIndexing(t: RunTestApp) {
  const file = await upload(t, pdf("federal-register-2020-17221.pdf"), "federal-register.pdf");
  const store = await t.client.vectorStores.create({ name: "FAA", file_ids: [file.id] });
  const assistant = await t.assistant({ tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
  const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "What does the directive require?" }] });
  t.ollama.script(SEARCH, { text: "New software [1]." });
  const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  // The model asked for the search; the run is in it, waiting for the file.
  await waitForRun(t.client, thread.id, run.id, () => t.ollama.chatRequests.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const waiting = await t.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
  expect(waiting.status).toBe("in_progress");
  expect((await t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id })).status).toBe("in_progress");
  return { file, store, thread, run };
}

describe("file_search while the store's files are indexing", () => {
  const reader = gatedReader();
  const app = useVsApp({}, {}, { pdf: reader });

  it("the run waits for the file, then completes promptly with results from it", async () => {
    const t = app();
    const { file, thread, run } = await runWhileIndexing(t);
    expect(t.ollama.chatRequests).toHaveLength(1); // the search has not answered the model yet
    reader.open();
    await settle(t);
    const settledAt = Date.now();
    // Without the ingestor's notification the wait would last until its 120 s cap.
    const done = await waitForRun(t.client, thread.id, run.id, undefined, 3000);
    expect(done.status).toBe("completed");
    expect(Date.now() - settledAt).toBeLessThan(3000);
    const steps = await t.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    const call = steps.data.flatMap((s) => (s.step_details.type === "tool_calls" ? s.step_details.tool_calls : [])).find((c) => c.type === "file_search");
    expect(call?.type === "file_search" && call.file_search.results?.map((r) => r.file_id)).toContain(file.id);
  });
});

describe("file_search while the store's files are indexing, cancelled", () => {
  const reader = gatedReader();
  const app = useVsApp({}, {}, { pdf: reader });

  it("cancelling the run ends its wait: the run is cancelled while the file is still indexing", async () => {
    const t = app();
    const { file, store, thread, run } = await runWhileIndexing(t);
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    const done = await waitForRun(t.client, thread.id, run.id, undefined, 3000);
    expect(done.status).toBe("cancelled");
    expect((await t.client.vectorStores.files.retrieve(file.id, { vector_store_id: store.id })).status).toBe("in_progress");
    reader.open(); // let the ingestor finish before the app closes
  });
});
