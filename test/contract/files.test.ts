import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import type { FilePurpose } from "openai/resources/files";
import { rawError, sdkError, useTestApp, wireBody } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import type { TestApp } from "../helpers/test-app.js";

const PDF_DIR = new URL("../fixtures/pdfs/", import.meta.url).pathname;
const PDFS = fs.readdirSync(PDF_DIR).filter((name) => name.endsWith(".pdf")).sort();
/** The purposes an upload may name (the spec's CreateFileRequest enum, the SDK's FilePurpose). */
const UPLOAD_PURPOSES: FilePurpose[] = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

async function upload(t: TestApp, bytes: Uint8Array | string, name: string, purpose: FilePurpose = "assistants") {
  const file = await t.client.files.create({ file: await toFile(Buffer.from(bytes), name), purpose });
  expectMatchesSchema(file, "OpenAIFile");
  return file;
}

async function download(t: TestApp, id: string): Promise<Buffer> {
  const res = await t.client.files.content(id);
  return Buffer.from(await res.arrayBuffer());
}

/** Every regular file under `dir`, relative to it. */
function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("files", () => {
  const app = useTestApp();

  it("uploads a file and describes it", async () => {
    const before = Math.floor(Date.now() / 1000);
    const file = await upload(app(), "hello, world\n", "hello.txt");
    expect(file.id).toMatch(/^file-[0-9A-Za-z]{24}$/);
    expect(file).toMatchObject({ object: "file", bytes: 13, filename: "hello.txt", purpose: "assistants" });
    expect(file.created_at).toBeGreaterThanOrEqual(before);
  });

  it.each(UPLOAD_PURPOSES)("accepts purpose %s", async (purpose) => {
    const file = await upload(app(), "{}", "x.jsonl", purpose);
    expect(file.purpose).toBe(purpose);
    expect((await app().client.files.retrieve(file.id)).purpose).toBe(purpose);
  });

  it("refuses an unknown purpose with param purpose", async () => {
    const { client, dataDir } = app();
    const err = await sdkError(
      client.files.create({ file: await toFile(Buffer.from("x"), "x.txt"), purpose: "homework" as FilePurpose }),
      OpenAI.BadRequestError,
    );
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("purpose");
    expect(walk(path.join(dataDir, "files"))).toEqual([]);
  });

  it("refuses an upload without a file (param file) and a non-multipart body", async () => {
    const t = app();
    const form = new FormData();
    form.set("purpose", "assistants");
    const missing = await rawError(await t.request("/v1/files", { method: "POST", body: form }), 400);
    expect(missing.param).toBe("file");
    const json = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ purpose: "assistants", file: "hello" }),
    });
    await rawError(json, 400);
  });

  it("lists files, newest first, filtered by purpose", async () => {
    const t = app();
    const a = await upload(t, "a", "a.txt", "assistants");
    const v = await upload(t, "v", "v.png", "vision");
    const b = await upload(t, "b", "b.txt", "assistants");
    const all = await t.client.files.list();
    expectMatchesSchema(wireBody(all), "ListFilesResponse");
    expect(all.data.map((f) => f.id)).toEqual([b.id, v.id, a.id]);
    const assistants = await t.client.files.list({ purpose: "assistants" });
    expectMatchesSchema(wireBody(assistants), "ListFilesResponse");
    expect(assistants.data.map((f) => f.id)).toEqual([b.id, a.id]);
    const vision = await t.client.files.list({ purpose: "vision" });
    expect(vision.data).toEqual([v]);
    const none = await t.client.files.list({ purpose: "batch" });
    expectMatchesSchema(wireBody(none), "ListFilesResponse");
    expect(none.data).toEqual([]);
    const asc = await t.client.files.list({ order: "asc", limit: 2 });
    expect(asc.data.map((f) => f.id)).toEqual([a.id, v.id]);
    expect(asc.has_more).toBe(true);
  });

  it("retrieves a file", async () => {
    const t = app();
    const file = await upload(t, "data", "data.csv", "assistants");
    const got = await t.client.files.retrieve(file.id);
    expectMatchesSchema(got, "OpenAIFile");
    expect(got).toEqual(file);
  });

  it("returns the original bytes as content, binary included", async () => {
    const t = app();
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const file = await upload(t, bytes, "noise.bin");
    expect(file.bytes).toBe(bytes.length);
    const res = await t.client.files.content(file.id);
    expect(res.status).toBe(200);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(bytes)).toBe(true);
  });

  it.each(PDFS)("stores %s byte for byte", async (name) => {
    const t = app();
    const original = fs.readFileSync(path.join(PDF_DIR, name));
    const file = await t.client.files.create({ file: await toFile(original, name), purpose: "assistants" });
    expectMatchesSchema(file, "OpenAIFile");
    expect(file).toMatchObject({ filename: name, bytes: original.length });
    expect(sha256(await download(t, file.id))).toBe(sha256(original));
  });

  it("deletes a file: its object, its content and its blob on disk are gone", async () => {
    const t = app();
    const keep = await upload(t, "keep", "keep.txt");
    const file = await upload(t, "secret", "secret.txt");
    const blob = path.join(t.dataDir, "files", file.id);
    expect(fs.readFileSync(blob, "utf8")).toBe("secret");

    const deleted = await t.client.files.delete(file.id);
    expectMatchesSchema(deleted, "DeleteFileResponse");
    expect(deleted).toEqual({ id: file.id, object: "file", deleted: true });

    const message = `No file found with id '${file.id}'.`;
    expect((await sdkError(t.client.files.content(file.id), OpenAI.NotFoundError)).error.message).toBe(message);
    expect((await sdkError(t.client.files.retrieve(file.id), OpenAI.NotFoundError)).error.message).toBe(message);
    expect((await sdkError(t.client.files.delete(file.id), OpenAI.NotFoundError)).error.message).toBe(message);
    expect(fs.existsSync(blob)).toBe(false);
    expect(walk(path.join(t.dataDir, "files"))).toEqual([keep.id]);
    expect((await t.client.files.list()).data.map((f) => f.id)).toEqual([keep.id]);
  });

  it("stores a hostile file name safely: sanitised name, bytes only under DATA_DIR/files", async () => {
    const t = app();
    const outside = path.resolve(t.dataDir, "files", "../../etc");
    const file = await upload(t, "payload", "../../etc/evil\u0000.txt");
    expect(file.filename).toBe("evil.txt");
    expect(walk(path.join(t.dataDir, "files"))).toEqual([file.id]);
    expect(walk(t.dataDir).filter((p) => !p.startsWith("db.sqlite"))).toEqual([path.join("files", file.id)]);
    expect(fs.existsSync(path.join(outside, "evil.txt"))).toBe(false);
    expect(fs.existsSync(path.join(outside, "evil\u0000.txt".replace("\u0000", "")))).toBe(false);
    expect((await download(t, file.id)).toString()).toBe("payload");
  });

  it("sanitises names sent in a hand-written multipart body too", async () => {
    const t = app();
    const boundary = "contract-boundary";
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="..\\..\\windows\\evil\u0001.txt"\r\n` +
        `Content-Type: text/plain\r\n\r\npayload\r\n--${boundary}--\r\n`,
      "latin1",
    );
    const res = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(200);
    const file = (await res.json()) as { id: string; filename: string };
    expectMatchesSchema(file, "OpenAIFile");
    expect(file.filename).toBe("evil.txt");
    expect(walk(path.join(t.dataDir, "files"))).toEqual([file.id]);
  });

  it("the content download names the file in Content-Disposition without breaking the header", async () => {
    const t = app();
    const file = await upload(t, "x", 'quote"and;semi.txt');
    const res = await t.client.files.content(file.id);
    const disposition = res.headers.get("content-disposition") ?? "";
    expect(disposition).toMatch(/^attachment; filename=/);
    expect(disposition.split('"')).toHaveLength(3);
  });
});

describe("files: upload size limit", () => {
  const app = useTestApp({ MAX_UPLOAD_BYTES: String(64 * 1024) });

  it("refuses an upload over MAX_UPLOAD_BYTES with 413", async () => {
    const { client, dataDir } = app();
    const err = await sdkError(
      client.files.create({ file: await toFile(Buffer.alloc(65 * 1024, 1), "big.bin"), purpose: "assistants" }),
      OpenAI.APIError,
    );
    expect(err.status).toBe(413);
    expect(walk(path.join(dataDir, "files"))).toEqual([]);
  });

  it("accepts an upload just under the limit", async () => {
    const file = await upload(app(), Buffer.alloc(60 * 1024, 2), "ok.bin");
    expect(file.bytes).toBe(60 * 1024);
  });
});
