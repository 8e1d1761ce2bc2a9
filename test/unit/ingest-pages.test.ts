import { describe, expect, it } from "vitest";
import { chunkPages, type PageText } from "../../src/retrieval/chunker.js";
import { ingestPages, type IngestTarget } from "../../src/retrieval/ingestion/index.js";
import { chunkRows, type ChunkRow, type VectorIndex } from "../../src/retrieval/vector-index.js";

const STORE = "vs_" + "S".repeat(24);
const FILE = "file-" + "f".repeat(24);
const OPTIONS = { maxTokens: 100, overlapTokens: 20 };

/** Pages of numbered sentences: enough text for well over 64 chunks of 100 tokens. */
const PAGES: PageText[] = Array.from({ length: 40 }, (_, p) => ({
  page: p + 1,
  text: Array.from({ length: 30 }, (_, i) => `Page ${p + 1} sentence ${i} mentions topic ${(p * 30 + i) % 11}.`).join(" "),
}));

interface Write {
  rows: ChunkRow[];
  vectors: number[][] | null;
  partial: boolean;
}

/** A VectorIndex that records adds (and can be told to fail one). */
function recordingIndex(failAt = -1): { index: VectorIndex; writes: Write[] } {
  const writes: Write[] = [];
  const index = {
    async add(_store: string, rows: ChunkRow[], vectors: number[][] | null, options?: { partial?: boolean }) {
      if (writes.length === failAt) throw new Error("disk full");
      writes.push({ rows, vectors, partial: options?.partial ?? false });
    },
  } as unknown as VectorIndex;
  return { index, writes };
}

/** The pages as a stream, counting how many were read. */
function stream(pages: PageText[], failAfter = Infinity) {
  const state = { read: 0 };
  const iterable = (async function* () {
    for (const page of pages) {
      if (state.read === failAfter) throw new Error("could not parse PDF: broken page");
      state.read += 1;
      await new Promise((resolve) => setImmediate(resolve)); // pages arrive over time, like the PDF worker's
      yield page;
    }
  })();
  return { iterable, state };
}

const target = (index: VectorIndex, embed: IngestTarget["embed"] = async () => null): IngestTarget => ({ index, storeId: STORE, fileId: FILE, embed });

describe("ingestPages", () => {
  it("writes exactly chunkPages' rows, in batches while pages arrive, the last write completing the file", async () => {
    const { index, writes } = recordingIndex();
    const result = await ingestPages(stream(PAGES).iterable, target(index), OPTIONS);
    const expected = chunkRows(FILE, chunkPages(PAGES, OPTIONS));
    expect(expected.length).toBeGreaterThan(128);
    expect(writes.flatMap((w) => w.rows)).toEqual(expected);
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.slice(0, -1).every((w) => w.partial && w.rows.length >= 64 && w.rows.length < 64 + 8)).toBe(true);
    expect(writes.at(-1)!.partial).toBe(false);
    expect(result).toEqual({
      chunks: expected.length,
      tokens: chunkPages(PAGES, OPTIONS).reduce((n, c) => n + c.tokens, 0),
      textBytes: PAGES.reduce((n, p) => n + Buffer.byteLength(p.text), 0),
      dims: null,
      held: null,
    });
  });

  it("holdLast: writes the batches while pages arrive and returns the last one, embedded, unwritten", async () => {
    const { index, writes } = recordingIndex();
    const embed = async (texts: string[]) => texts.map((t) => [t.length, 1]);
    const result = await ingestPages(stream(PAGES).iterable, target(index, embed), { ...OPTIONS, holdLast: true });
    const expected = chunkRows(FILE, chunkPages(PAGES, OPTIONS));
    expect(writes.every((w) => w.partial)).toBe(true);
    expect(result.held!.rows.length).toBeGreaterThan(0);
    expect([...writes.flatMap((w) => w.rows), ...result.held!.rows]).toEqual(expected);
    expect(result.held!.vectors).toEqual(result.held!.rows.map((r) => [r.text.length, 1]));
  });

  it("embeds each batch before writing it; the first batch's null answer means BM25 only for the file", async () => {
    const { index, writes } = recordingIndex();
    const seen: number[] = [];
    const embed = async (texts: string[]) => (seen.push(texts.length), texts.map((t) => [t.length, 1, 0]));
    const result = await ingestPages(stream(PAGES).iterable, target(index, embed), OPTIONS);
    expect(writes.every((w) => w.vectors?.length === w.rows.length && w.vectors[0]![0] === w.rows[0]!.text.length)).toBe(true);
    expect(seen).toEqual(writes.map((w) => w.rows.length));
    expect(result.dims).toBe(3);

    const bm25 = recordingIndex();
    await ingestPages(stream(PAGES).iterable, target(bm25.index, async () => null), OPTIONS);
    expect(bm25.writes.every((w) => w.vectors === null)).toBe(true);
  });

  it("a short file is one complete write; an empty one writes nothing", async () => {
    const { index, writes } = recordingIndex();
    await ingestPages(stream(PAGES.slice(0, 2)).iterable, target(index), OPTIONS);
    expect(writes.map((w) => w.partial)).toEqual([false]);
    const empty = recordingIndex();
    expect(await ingestPages(stream([{ page: 1, text: "  " }]).iterable, target(empty.index), OPTIONS)).toMatchObject({ chunks: 0 });
    expect(empty.writes).toEqual([]);
  });

  it("a page error ends the ingestion with that error and no completing write", async () => {
    const { index, writes } = recordingIndex();
    const source = stream(PAGES, 30);
    await expect(ingestPages(source.iterable, target(index), OPTIONS)).rejects.toThrow("could not parse PDF: broken page");
    expect(writes.every((w) => w.partial)).toBe(true);
  });

  it("a failed write ends the ingestion with its error and stops reading pages", async () => {
    const { index } = recordingIndex(0);
    const source = stream(PAGES);
    await expect(ingestPages(source.iterable, target(index), OPTIONS)).rejects.toThrow("disk full");
    expect(source.state.read).toBeLessThan(PAGES.length);
  });

  it("after a page error nothing more is written: writes still queued are dropped before it is thrown", async () => {
    const { index, writes } = recordingIndex();
    const slowEmbed = async () => (await new Promise((resolve) => setTimeout(resolve, 30)), null);
    const source = stream(PAGES, 30);
    await expect(ingestPages(source.iterable, target(index, slowEmbed), OPTIONS)).rejects.toThrow("could not parse PDF: broken page");
    const written = writes.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes.length).toBe(written);
  });
});
