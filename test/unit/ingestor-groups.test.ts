/**
 * The Ingestor's overlaps between files (read-ahead extraction, last batches of consecutive files written as
 * one group) against an in-memory index whose writes run one at a time per store and can be slowed down or
 * made to fail: the races that the API cannot time. (From a review that found each of these broken.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { VectorStoreFile } from "../../src/api/wire.js";
import type { PdfPage, PdfReader } from "../../src/files/pdf-reader.js";
import { DEFAULT_CHUNKING, fakeIngestor } from "../helpers/ingestor-fakes.js";
import type { ChunkRow } from "../../src/retrieval/vector-index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SMALL_CHUNKS: VectorStoreFile["chunking_strategy"] = { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };

interface WorldOptions {
  groupMaxMs: number;
  /** ms each write takes (by its rows and whether it is partial). */
  addDelay?: (rows: ChunkRow[], partial: boolean) => number;
  addFails?: (rows: ChunkRow[], partial: boolean) => boolean;
  pdf?: PdfReader;
}

/** An ingestor over fakes: store files in a map, an index of rows per store, a log of index calls. */
function world(options: WorldOptions) {
  const rows = new Map<string, ChunkRow[]>();
  const log: string[] = [];
  /** Store ids the ingestor told were settled, with the file statuses at that moment. */
  const settledLog: string[] = [];
  let indexClosed = false;
  const queues = new Map<string, Promise<unknown>>();
  // One write at a time per store, as LanceIndex does.
  const serial = <T>(store: string, fn: () => Promise<T>): Promise<T> => {
    if (indexClosed) return Promise.reject(new Error("the vector index is closed"));
    const run = (queues.get(store) ?? Promise.resolve()).then(fn);
    queues.set(store, run.catch(() => undefined));
    return run;
  };
  const index = {
    add: (store: string, r: ChunkRow[], _vectors: number[][] | null, o: { partial?: boolean } = {}) =>
      serial(store, async () => {
        log.push(`add ${[...new Set(r.map((x) => x.file_id))].join(",")} partial=${Boolean(o.partial)}`);
        await sleep(options.addDelay?.(r, Boolean(o.partial)) ?? 0);
        if (options.addFails?.(r, Boolean(o.partial))) throw new Error("disk full");
        rows.set(store, [...(rows.get(store) ?? []), ...r]);
      }),
    deleteFile: (store: string, fileId: string) =>
      serial(store, async () => void rows.set(store, (rows.get(store) ?? []).filter((x) => x.file_id !== fileId))),
    flush: (store: string) => serial(store, async () => void log.push("flush")),
    drop: (store: string) => serial(store, async () => void rows.delete(store)),
  };
  const { ingestor, members, add: addTo } = fakeIngestor({
    index,
    pdf: options.pdf ?? { pages: async function* () {}, close: async () => {} },
    groupMaxMs: options.groupMaxMs,
    onSettled: (storeId, files) => {
      const statuses = [...files.values()].filter((m) => m.vector_store_id === storeId).map((m) => `${m.id}:${m.status}`);
      settledLog.push(`${storeId} ${statuses.join(" ")}`.trim());
    },
  });
  const add = (id: string, text: string, fresh = true, chunking = DEFAULT_CHUNKING) => addTo("S", id, text, fresh, chunking);
  /** What the service does to remove a file from its store. */
  const remove = (id: string) => {
    members.delete(`S/${id}`);
    ingestor.stop("S", id);
    void index.deleteFile("S", id);
  };
  const chunks = (id: string) => (rows.get("S") ?? []).filter((r) => r.file_id === id).map((r) => r.text);
  const status = (id: string) => members.get(`S/${id}`)?.status;
  return { ingestor, add, remove, chunks, status, members, log, settledLog, closeIndex: () => (indexClosed = true) };
}

/** A PDF of `pages` pages, one every `ms`, counting the pages it yields. */
function slowPdf(pages: number, ms: number) {
  const state = { yielded: 0 };
  const reader: PdfReader = {
    async *pages(_bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<PdfPage> {
      for (let page = 1; page <= pages; page++) {
        signal?.throwIfAborted();
        await sleep(ms);
        state.yielded += 1;
        yield { page, text: Array.from({ length: 300 }, (_, k) => `word${k} page${page}.`).join(" ") };
      }
    },
    close: async () => {},
  };
  return { reader, state };
}

beforeAll(async () => {
  await import("../../src/retrieval/chunker.js"); // the tokenizer loads once, outside every timing below
});

describe("Ingestor: telling waiters (onSettled)", () => {
  it("tells the store once its group's files are recorded, and at once when a queued file is removed", async () => {
    const slow = slowPdf(3, 30);
    const w = world({ groupMaxMs: 10_000, pdf: slow.reader });
    w.add("pdf1", "%PDF-1.4");
    w.add("b", "beta text");
    // b is only queued (pdf1 parses): its removal is told now, not when its job would have come up.
    w.remove("b");
    expect(w.settledLog).toEqual(["S pdf1:in_progress"]);
    await w.ingestor.idle();
    // Told after pdf1's outcome is recorded: a waiter checking then sees it settled.
    expect(w.settledLog).toEqual(["S pdf1:in_progress", "S pdf1:completed"]);
  });
});

describe("Ingestor: last batches of consecutive files written together", () => {
  it("70 small files of one store: a few index writes, one flush, every file completed with its chunk", async () => {
    const w = world({ groupMaxMs: 10_000 });
    for (let i = 0; i < 70; i++) w.add(`f${i}`, `file ${i} is about topic ${i}`);
    await w.ingestor.idle();
    for (let i = 0; i < 70; i++) {
      expect(w.status(`f${i}`)).toBe("completed");
      expect(w.chunks(`f${i}`)).toEqual([`file ${i} is about topic ${i}`]);
    }
    expect(w.log.filter((l) => l.startsWith("add")).length).toBe(3); // 32 + 32 + 6 files
    expect(w.log.filter((l) => l === "flush")).toHaveLength(1);
  });

  it("a file added again (same chunking) while the timer writes its group and another file runs ends completed, its chunks once", async () => {
    const slow = slowPdf(3, 30);
    const w = world({ groupMaxMs: 20, pdf: slow.reader, addDelay: (rows, partial) => (!partial && rows.some((r) => r.file_id === "a") ? 100 : 0) });
    w.add("a", "alpha text about apples");
    w.add("pdf1", "%PDF-1.4");
    await sleep(40); // a's group is being written (its timer fired), the PDF being parsed
    w.add("a", "alpha text about apples", false);
    await w.ingestor.idle();
    expect(w.status("a")).toBe("completed");
    expect(w.chunks("a")).toEqual(["alpha text about apples"]);
    expect(w.status("pdf1")).toBe("completed");
  });

  it("a file removed and added again while its group write is in flight ends completed, its chunks once", async () => {
    const w = world({ groupMaxMs: 1000, addDelay: (_rows, partial) => (partial ? 0 : 80) });
    w.add("a", "alpha text about apples");
    await sleep(20); // nothing else queued: the group is being written
    w.remove("a");
    w.add("a", "alpha text about apples, second edition", true);
    await w.ingestor.idle();
    expect(w.status("a")).toBe("completed");
    expect(w.chunks("a")).toEqual(["alpha text about apples, second edition"]);
  });

  it("a file removed while held is neither written nor completed; the rest of its group is", async () => {
    const slow = slowPdf(5, 20);
    const w = world({ groupMaxMs: 60_000, pdf: slow.reader });
    w.add("a", "alpha text about apples");
    w.add("b", "beta text about bananas");
    w.add("pdf1", "%PDF-1.4");
    await sleep(30); // a and b held, the PDF being parsed
    w.remove("a");
    await w.ingestor.idle();
    expect(w.status("a")).toBeUndefined();
    expect(w.chunks("a")).toEqual([]);
    expect(w.log.some((l) => l.startsWith("add") && l.split(" ")[1]!.split(",").includes("a"))).toBe(false);
    expect(w.status("b")).toBe("completed");
    expect(w.status("pdf1")).toBe("completed");
  });

  it("close() with a held group: its files stay in_progress (indexed again at the next start), nothing is written after", async () => {
    const slow = slowPdf(100, 10);
    const w = world({ groupMaxMs: 100, pdf: slow.reader });
    w.add("a", "alpha text about apples");
    w.add("pdf1", "%PDF-1.4");
    await sleep(30);
    await w.ingestor.close();
    w.closeIndex();
    const writes = w.log.length;
    await sleep(200); // past the group's timer
    expect(w.status("a")).toBe("in_progress");
    expect(w.status("pdf1")).toBe("in_progress");
    expect(w.log.length).toBe(writes);
  });

  it("a group write that fails fails its files, with the reason", async () => {
    const w = world({ groupMaxMs: 1000, addFails: (_rows, partial) => !partial });
    w.add("a", "alpha text about apples");
    w.add("b", "beta text about bananas");
    await w.ingestor.idle();
    for (const id of ["a", "b"]) {
      expect(w.status(id)).toBe("failed");
      expect(w.members.get(`S/${id}`)?.last_error).toEqual({ code: "server_error", message: "Indexing failed: disk full" });
    }
  });
});

describe("Ingestor: read-ahead extraction", () => {
  it("a PDF read ahead stops parsing when its job fails", async () => {
    const slow = slowPdf(40, 10);
    // The PDF's first write (64 chunks of 100 tokens) fails.
    const w = world({ groupMaxMs: 20, pdf: slow.reader, addFails: (rows, partial) => partial && rows.some((r) => r.file_id === "pdf1") });
    w.add("a", "alpha text about apples");
    w.add("pdf1", "%PDF-1.4", true, SMALL_CHUNKS);
    await w.ingestor.idle();
    expect(w.status("pdf1")).toBe("failed");
    const parsed = slow.state.yielded;
    expect(parsed).toBeLessThan(40);
    await sleep(200);
    expect(slow.state.yielded).toBeLessThanOrEqual(parsed + 1);
  });
});
