import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { blankScanPdf } from "../helpers/scans.js";
import { contentOf, DOCS, expectBatch, expectStore, expectStoreFile, pdf, search, settle, upload, uploadAll, useVsApp } from "../helpers/vector-stores.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

/** Every kind of file a person drops into a batch, with the outcome each must reach on its own. */
function mixedFiles(): Array<{ name: string; bytes: Buffer | string; code?: string; message?: RegExp; finds?: string }> {
  const good = pdf("pdflatex-4-pages.pdf");
  return [
    { name: "good.pdf", bytes: good, finds: "Huardest gefburn" },
    // A scan of an empty page: no text layer, and OCR finds nothing either. (Real scans are read: ocr.test.ts.)
    { name: "scan.pdf", bytes: blankScanPdf(), code: "invalid_file", message: /^no extractable text: the PDF has no text layer, and OCR found no text on its page$/ },
    { name: "locked.pdf", bytes: pdf("libreoffice-writer-password.pdf"), code: "invalid_file", message: /password-protected/ },
    { name: "truncated.pdf", bytes: good.subarray(0, good.length >> 1), code: "invalid_file", message: /^could not parse PDF/ },
    { name: "photo.png", bytes: PNG, code: "invalid_file", message: /^could not read the PNG image: its header is damaged or incomplete/ },
    { name: "blob.bin", bytes: Buffer.from([0, 1, 2, 3, 0, 255, 0]), code: "unsupported_file", message: /^unsupported file type '\.bin'/ },
    { name: "notes.txt", bytes: "Quartermaster inventory: forty lanterns.", finds: "quartermaster lanterns" },
    { name: "guide.md", bytes: "# Zeppelin mooring\n\nTie the **zeppelin** to the mast.", finds: "zeppelin mooring" },
    { name: "page.html", bytes: "<html><head><title>Origami</title><script>var secret='xyzzy'</script></head><body><p>Fold the crane.</p></body></html>", finds: "origami crane" },
    { name: "table.csv", bytes: "city,population\nReykjavik,139875\nNuuk,19872\n", finds: "Reykjavik Nuuk" },
    { name: "data.json", bytes: JSON.stringify({ mineral: "tourmaline", hardness: 7 }), finds: "tourmaline" },
  ];
}

describe("vector store file batches", () => {
  const app = useVsApp();

  it("creates a batch from file_ids with shared chunking and attributes; it completes", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    const ids = await uploadAll(t, DOCS);
    const batch = await t.client.vectorStores.fileBatches.create(store.id, {
      file_ids: Object.values(ids),
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 256, chunk_overlap_tokens: 64 } },
      attributes: { source: "notes" },
    });
    expectBatch(batch);
    expect(batch.id).toMatch(/^vsfb_[0-9A-Za-z]{24}$/);
    expect(batch).toMatchObject({
      object: "vector_store.files_batch",
      vector_store_id: store.id,
      status: "in_progress",
      file_counts: { in_progress: 3, completed: 0, failed: 0, cancelled: 0, total: 3 },
    });
    expect((await t.client.vectorStores.retrieve(store.id)).status).toBe("in_progress");
    await settle(t);
    const done = await t.client.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id });
    expectBatch(done);
    expect(done).toMatchObject({ status: "completed", file_counts: { in_progress: 0, completed: 3, total: 3 } });
    const files = await t.client.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id });
    expectMatchesSchema(wireBody(files), "ListVectorStoreFilesResponse");
    for (const f of files.data) {
      expectStoreFile(f);
      expect(f).toMatchObject({ status: "completed", attributes: { source: "notes" }, chunking_strategy: { static: { max_chunk_size_tokens: 256 } } });
    }
    expect(files.data.map((f) => f.id).sort()).toEqual(Object.values(ids).sort());
  });

  it("creates a batch from `files`, each with its own attributes and chunking; list filters by status", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    const ids = await uploadAll(t, { ...DOCS, "scan.pdf": blankScanPdf() });
    const batch = await t.client.vectorStores.fileBatches.create(store.id, {
      files: Object.entries(ids).map(([name, file_id], i) => ({
        file_id,
        attributes: { name, order: i },
        ...(i === 0 ? { chunking_strategy: { type: "static" as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } } : {}),
      })),
    } as OpenAI.VectorStores.FileBatchCreateParams);
    expectBatch(batch);
    await settle(t);
    const first = await t.client.vectorStores.files.retrieve(Object.values(ids)[0]!, { vector_store_id: store.id });
    expect(first).toMatchObject({ attributes: { name: "volcanoes.txt", order: 0 }, chunking_strategy: { static: { max_chunk_size_tokens: 100 } } });
    const failed = await t.client.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id, filter: "failed" });
    expect(failed.data.map((f) => f.id)).toEqual([ids["scan.pdf"]]);
    const done = await t.client.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id });
    expect(done).toMatchObject({ status: "completed", file_counts: { completed: 3, failed: 1, total: 4 } });
  });

  it("refuses both forms at once, neither, unknown files and unknown batches", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    const file = await upload(t, "x", "x.txt");
    const both = await sdkError(
      t.client.vectorStores.fileBatches.create(store.id, { file_ids: [file.id], files: [{ file_id: file.id }] } as never),
      OpenAI.BadRequestError,
    );
    expect(both.error.param).toBe("file_ids");
    await sdkError(t.client.vectorStores.fileBatches.create(store.id, {} as never), OpenAI.BadRequestError);
    const unknown = await sdkError(t.client.vectorStores.fileBatches.create(store.id, { file_ids: [file.id, "file-nope"] }), OpenAI.BadRequestError);
    expect(unknown.error.param).toBe("file_ids[1]");
    const unknownInFiles = await sdkError(
      t.client.vectorStores.fileBatches.create(store.id, { files: [{ file_id: "file-nope" }] } as never),
      OpenAI.BadRequestError,
    );
    expect(unknownInFiles.error.param).toBe("files[0].file_id");
    expect((await t.client.vectorStores.files.list(store.id)).data).toEqual([]);
    await sdkError(t.client.vectorStores.fileBatches.retrieve("vsfb_nope", { vector_store_id: store.id }), OpenAI.NotFoundError);
    await sdkError(t.client.vectorStores.fileBatches.create("vs_nope", { file_ids: [file.id] }), OpenAI.NotFoundError);
  });

  it("cancel: files not yet indexed end cancelled and unsearchable, indexed ones stay", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({});
    const ids = await uploadAll(t, { "first.txt": DOCS["saturn.txt"]!, "long.pdf": pdf("GeoTopo-komprimiert.pdf"), "last.txt": DOCS["sourdough.txt"]! });
    const batch = await t.client.vectorStores.fileBatches.create(store.id, { file_ids: Object.values(ids) });
    // The long PDF takes ~1 s to parse: cancel while it is being indexed, after the first file completed.
    await waitUntil(async () => (await t.client.vectorStores.files.retrieve(ids["first.txt"]!, { vector_store_id: store.id })).status === "completed");
    const cancelled = await t.client.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id });
    expectBatch(cancelled);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.file_counts).toMatchObject({ completed: 1, cancelled: 2, in_progress: 0, total: 3 });
    await settle(t);
    const after = await t.client.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id });
    expect(after).toMatchObject({ status: "cancelled", file_counts: { completed: 1, cancelled: 2 } });
    const store2 = await t.client.vectorStores.retrieve(store.id);
    expectStore(store2);
    expect(store2).toMatchObject({ status: "completed", file_counts: { completed: 1, cancelled: 2, total: 3 } });
    // (Hybrid search always has nearest neighbours to return: the check is that the PDF is not among them.)
    expect((await search(t, store.id, { query: "Topologie Mannigfaltigkeit Homotopie" })).map((h) => h.file_id)).not.toContain(ids["long.pdf"]);
    expect(await contentOf(t, store.id, ids["long.pdf"]!)).toBe("");
    expect((await search(t, store.id, { query: "Saturn rings" }))[0]!.file_id).toBe(ids["first.txt"]);
  });

  it("a batch of mixed files: each bad file fails alone with its reason, the rest complete", async () => {
    const t = app();
    const store = await t.client.vectorStores.create({ name: "mixed" });
    const files = mixedFiles();
    const ids = await uploadAll(t, Object.fromEntries(files.map((f) => [f.name, f.bytes])));
    const batch = await t.client.vectorStores.fileBatches.create(store.id, { file_ids: Object.values(ids) });
    await settle(t);
    const done = await t.client.vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: store.id });
    expectBatch(done);
    const bad = files.filter((f) => f.code);
    expect(done).toMatchObject({ status: "completed", file_counts: { in_progress: 0, completed: files.length - bad.length, failed: bad.length } });
    for (const f of files) {
      const member = await t.client.vectorStores.files.retrieve(ids[f.name]!, { vector_store_id: store.id });
      expectStoreFile(member);
      if (f.code) {
        expect(member, f.name).toMatchObject({ status: "failed", usage_bytes: 0, last_error: { code: f.code } });
        expect(member.last_error!.message, f.name).toMatch(f.message!);
      } else {
        expect(member, f.name).toMatchObject({ status: "completed", last_error: null });
        const hits = await search(t, store.id, { query: f.finds!, max_num_results: 1 });
        expect(hits[0]?.filename, f.finds).toBe(f.name);
      }
    }
    // HTML is indexed as what a reader sees: no script.
    expect((await search(t, store.id, { query: "xyzzy secret" })).map((h) => h.filename)).not.toContain("page.html");
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}
