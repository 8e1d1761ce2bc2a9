/**
 * PDF bombs in the real server process, made by the test (test/helpers/pdf-bombs.ts): a 2.5 KB page tree of
 * 2^20 pages and a ~1 MB PDF whose content stream inflates to 1 GiB. Each fails its file alone with a
 * last_error naming the limit and its env var, at the default caps, while other files of its store and of
 * another store complete and the server stays healthy. And with the caps lifted (a bomb that parses until
 * its time limit), another store's file completes while the bomb is still parsing: one file does not hold
 * other stores' files back.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { inflateBomb, pageTreeBomb } from "../helpers/pdf-bombs.js";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { pdf } from "../helpers/vector-stores.js";

const GiB = 1024 ** 3;
let server: ServerProcess | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await server?.stop();
  server = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<OpenAI> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-pdf-bombs-"));
  dirs.push(dataDir);
  // No Ollama: stores are built for BM25 alone, which is all these files need.
  server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", ...env });
  return new OpenAI({ baseURL: server.baseURL, apiKey: "local", maxRetries: 0, timeout: 30_000 });
}

async function attach(client: OpenAI, storeId: string, bytes: Uint8Array | string, name: string): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(bytes), name), purpose: "assistants" });
  await client.vectorStores.files.create(storeId, { file_id: file.id });
  return file.id;
}

async function statusOf(client: OpenAI, storeId: string, fileId: string) {
  return client.vectorStores.files.retrieve(fileId, { vector_store_id: storeId });
}

/** Polls until the file is no longer in_progress. */
async function settled(client: OpenAI, storeId: string, fileId: string) {
  for (;;) {
    const file = await statusOf(client, storeId, fileId);
    if (file.status !== "in_progress") return file;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function healthy(): Promise<void> {
  const res = await fetch(`${server!.origin}/health`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status: string }).status).toBe("ok");
}

const TEXT = "Regular notes about tide tables and harbour opening hours, indexed beside the bomb.";

describe("reliability: PDF bombs", () => {
  it("at the default caps, both bombs fail alone naming their limit; the store's and another store's files complete", async () => {
    const client = await start();
    const a = await client.vectorStores.create({ name: "A" });
    const b = await client.vectorStores.create({ name: "B" });
    const tree = pageTreeBomb(20);
    expect(tree.length).toBeLessThan(4096);
    const inflate = await inflateBomb(GiB);
    expect(inflate.length).toBeLessThan(4 * 1024 * 1024);
    const t0 = performance.now();
    const treeId = await attach(client, a.id, tree, "tree-bomb.pdf");
    const inflateId = await attach(client, a.id, inflate, "inflate-bomb.pdf");
    const aText = await attach(client, a.id, TEXT, "notes-a.txt");
    const bPdf = await attach(client, b.id, pdf("pdflatex-4-pages.pdf"), "paper-b.pdf");
    const bText = await attach(client, b.id, TEXT, "notes-b.txt");

    const treeFile = await settled(client, a.id, treeId);
    const treeMs = performance.now() - t0;
    expect(treeFile.status).toBe("failed");
    expect(treeFile.last_error).toEqual({
      code: "invalid_file",
      message: "could not parse PDF: the PDF has 1048576 pages, more than the 10000 allowed (PDF_MAX_PAGES): split it into smaller files",
    });
    const inflateFile = await settled(client, a.id, inflateId);
    const inflateMs = performance.now() - t0;
    expect(inflateFile.status).toBe("failed");
    expect(inflateFile.last_error).toEqual({
      code: "invalid_file",
      message: "could not parse PDF: the PDF's compressed streams inflate to more than 256 MB (PDF_MAX_INFLATED_MB): split it into smaller files",
    });
    for (const [store, id] of [[a.id, aText], [b.id, bPdf], [b.id, bText]] as const) {
      expect((await settled(client, store, id)).status).toBe("completed");
    }
    await healthy();
    const found = await client.vectorStores.search(b.id, { query: "harbour opening hours" });
    expect(found.data.map((r) => r.filename)).toContain("notes-b.txt");
    console.log(`[pdf-bombs] tree bomb (${tree.length} B) failed after ${Math.round(treeMs)} ms; inflate bomb (${inflate.length} B) after ${Math.round(inflateMs)} ms from the first upload`);
  });

  it("with the caps lifted, another store's file completes while a bomb parses, which then fails at its time limit", async () => {
    const client = await start({ PDF_MAX_PAGES: String(2 ** 21), PDF_PARSE_TIMEOUT_MS: "20000" });
    const a = await client.vectorStores.create({ name: "A" });
    const b = await client.vectorStores.create({ name: "B" });
    const treeId = await attach(client, a.id, pageTreeBomb(20), "tree-bomb.pdf");
    // Attached after the bomb: on one drain loop it would wait behind it until the bomb's time limit.
    const bText = await attach(client, b.id, TEXT, "notes-b.txt");
    expect((await settled(client, b.id, bText)).status).toBe("completed");
    expect((await statusOf(client, a.id, treeId)).status).toBe("in_progress");
    await healthy();
    const treeFile = await settled(client, a.id, treeId);
    expect(treeFile.status).toBe("failed");
    expect(treeFile.last_error?.message).toBe("could not parse PDF: parsing took longer than 20 s (PDF_PARSE_TIMEOUT_MS): split the PDF into smaller files");
  });
});

