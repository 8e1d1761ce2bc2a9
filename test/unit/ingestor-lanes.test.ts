/**
 * The Ingestor's lanes: one store's file that does not finish (a hostile PDF, a stuck parse) must not hold
 * other stores' files back, while one store's files still run one at a time (one writer per store table).
 * Fakes from test/helpers/ingestor-fakes.ts, an index that keeps nothing; a PDF reader whose
 * documents parse only when the test lets them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PdfPage, PdfReader } from "../../src/files/pdf-reader.js";
import { fakeIngestor } from "../helpers/ingestor-fakes.js";

/** A PDF reader whose every document waits for `release()` before its one page; `started`: documents begun. */
function gatedPdf() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const state = { started: [] as string[] };
  const reader: PdfReader = {
    async *pages(bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<PdfPage> {
      state.started.push(Buffer.from(bytes).toString("latin1").slice(9));
      await Promise.race([gate, new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)))]);
      yield { page: 1, text: "the gated document's text" };
    },
    close: async () => {},
  };
  return { reader, state, release };
}

function world(pdf: PdfReader, concurrency?: number) {
  const settled: string[] = [];
  const index = {
    add: async () => {},
    deleteFile: async () => {},
    flush: async () => {},
    drop: async () => {},
  };
  const { ingestor, members, add: addTo } = fakeIngestor({ index, pdf, groupMaxMs: 0, concurrency, onSettled: (storeId) => settled.push(storeId) });
  const add = (store: string, id: string) => addTo(store, id, id.startsWith("pdf") ? `%PDF-1.4 ${store}/${id}` : `the text of ${id} in ${store}`);
  const status = (store: string, id: string) => members.get(`${store}/${id}`)?.status;
  /** Resolves once `store/id` is no longer in_progress (told through onSettled, as a run's file_search is). */
  const settledFile = async (store: string, id: string) => {
    while (status(store, id) === "in_progress") await new Promise((resolve) => setImmediate(resolve));
  };
  /** What the service does to cancel a file: no longer in_progress, then stop its indexing. */
  const cancel = (store: string, id: string) => {
    const m = members.get(`${store}/${id}`)!;
    members.set(`${store}/${id}`, { ...m, status: "cancelled" });
    ingestor.stop(store, id);
  };
  return { ingestor, add, status, settledFile, cancel };
}

beforeAll(async () => {
  await import("../../src/retrieval/chunker.js");
});

describe("Ingestor lanes", () => {
  it("indexes another store's file while one store's PDF is stuck, and that store's next file waits behind it", async () => {
    const pdf = gatedPdf();
    const w = world(pdf.reader);
    w.add("A", "pdf-a1");
    w.add("A", "a2");
    w.add("B", "b1");
    await w.settledFile("B", "b1");
    expect(w.status("B", "b1")).toBe("completed");
    // Store A's second file is on A's lane, behind its stuck PDF (never two of one store's files at once).
    expect(w.status("A", "pdf-a1")).toBe("in_progress");
    expect(w.status("A", "a2")).toBe("in_progress");
    pdf.release();
    await w.ingestor.idle();
    expect([w.status("A", "pdf-a1"), w.status("A", "a2")]).toEqual(["completed", "completed"]);
  });

  it("runs at most `concurrency` files at once: with one lane, the stuck PDF holds every store back", async () => {
    const pdf = gatedPdf();
    const w = world(pdf.reader, 1);
    w.add("A", "pdf-a1");
    w.add("B", "b1");
    // Give the lane every chance to run b1: it does not, until A's PDF is let through.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(w.status("B", "b1")).toBe("in_progress");
    pdf.release();
    await w.ingestor.idle();
    expect(w.status("B", "b1")).toBe("completed");
  });

  it("a store beyond the lanes queues on the least busy lane (the first of equals); stop() frees a stuck lane", async () => {
    const pdf = gatedPdf();
    const w = world(pdf.reader, 2);
    w.add("A", "pdf-a");
    w.add("B", "pdf-b");
    w.add("C", "c1");
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(pdf.state.started).toEqual(["A/pdf-a", "B/pdf-b"]);
    expect(w.status("C", "c1")).toBe("in_progress");
    // Removing A's stuck file (as the service does: not in_progress, then stop) frees A's lane for C.
    w.cancel("A", "pdf-a");
    await w.settledFile("C", "c1");
    expect(w.status("C", "c1")).toBe("completed");
    expect(w.status("B", "pdf-b")).toBe("in_progress");
    pdf.release();
    await w.ingestor.idle();
    expect(w.status("B", "pdf-b")).toBe("completed");
  });
});
