/**
 * Chunk context (ChunkRow.context, a document's title): stored with the chunk's text for BM25, stripped from
 * every hit and from fileChunks; tables made before the `context_chars` column keep working without it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, Int32, Schema, Utf8 } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { documentTitle } from "../../src/retrieval/document-title.js";
import { LanceIndex } from "../../src/retrieval/lance-index.js";
import { chunkRows } from "../../src/retrieval/vector-index.js";

const STORE = "vs_" + "C".repeat(24);
const FILE = "file-" + "t".repeat(24);
const chunks = [
  { index: 0, text: "Tenancy starts on the first of the month.", page_start: 1, page_end: 1 },
  { index: 1, text: "The security deposit is returned within 30 days.", page_start: 2, page_end: 2 },
];

describe("LanceIndex chunk context", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "ctx-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("finds a chunk by its context's words and returns the chunk alone", async () => {
    const index = await LanceIndex.open(dir());
    await index.add(STORE, chunkRows(FILE, chunks, "Apartment lease"), null);
    const hits = await index.search(STORE, { text: "lease deposit", vector: null, limit: 5 });
    expect(hits[0]).toMatchObject({ chunk_index: 1, text: chunks[1]!.text, page_start: 2 });
    expect(hits.every((h) => !h.text.includes("lease"))).toBe(true);
    const stored = await index.fileChunks(STORE, FILE);
    expect(stored.map((c) => [c.text, c.context])).toEqual(chunks.map((c) => [c.text, "Apartment lease"]));
    await index.close();
  });

  it("adds to and searches a table made before context_chars, without context", async () => {
    const path = dir();
    const db = await lancedb.connect(path);
    // The schema LanceIndex created before context_chars, spelled out: it must not follow later changes.
    const schema = new Schema([
      new Field("chunk_id", new Utf8(), false),
      new Field("file_id", new Utf8(), false),
      new Field("chunk_index", new Int32(), false),
      new Field("page_start", new Int32(), true),
      new Field("page_end", new Int32(), true),
      new Field("text", new Utf8(), false),
    ]);
    const [first, second] = chunkRows(FILE, chunks);
    const old = await db.createTable(STORE, [{ ...first }], { schema });
    await old.createIndex("text", { config: lancedb.Index.fts() });
    old.close();
    db.close();

    const index = await LanceIndex.open(path);
    await index.add(STORE, [{ ...second!, context: "Apartment lease" }], null);
    await index.flush(STORE);
    const hits = await index.search(STORE, { text: "deposit tenancy", vector: null, limit: 5 });
    expect(hits.map((h) => h.text).sort()).toEqual(chunks.map((c) => c.text).sort());
    expect((await index.fileChunks(STORE, FILE)).map((c) => c.text)).toEqual(chunks.map((c) => c.text));
    await index.close();
  });
});

describe("documentTitle", () => {
  it("is the first line when it is a paragraph of its own or a Markdown heading", () => {
    expect(documentTitle("\n  Apartment lease agreement\r\n\r\nThe tenant pays rent monthly.")).toBe("Apartment lease agreement");
    expect(documentTitle("## Quarterly report\nSales rose.")).toBe("Quarterly report");
  });

  it("is none for a wrapped paragraph, a lone line, a long or letterless first line", () => {
    expect(documentTitle("The zeppelin quartermaster keeps a ledger of forty\nbrass lanterns in the gondola.")).toBeNull();
    expect(documentTitle("Only a title")).toBeNull();
    expect(documentTitle(`${"word ".repeat(40)}\n\nbody`)).toBeNull();
    expect(documentTitle("2024-01-01\n\nbody")).toBeNull();
  });
});
