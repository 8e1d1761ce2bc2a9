/**
 * The embedded engine's model downloads, against a local HTTP server serving the real stories260K.gguf (Range
 * requests and HEAD as a file server answers them): a missing model given as a URL is downloaded into MODELS_DIR
 * on first use with its progress in /health, then used (real inference) and not fetched again; a transfer broken
 * part-way is retried; a file that is not a GGUF is refused and removed; an unreachable source
 * says which file to put where.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIError } from "openai";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
// ipull's file writer (node-llama-cpp downloads through ipull), to force an ordering its own code leaves to chance.
import IpullFileWriter from "../../node_modules/ipull/dist/download/download-engine/streams/download-engine-write-stream/download-engine-write-stream-nodejs.js";

const FIXTURE = fs.readFileSync(path.resolve("test/fixtures/models/stories260K.gguf"));

interface FileServer {
  url: string;
  /** GET requests received, with their Range header. */
  gets: Array<{ path: string; range: string | undefined }>;
  /** Break the next ranged GET (the transfer) after this many bytes (a dropped connection). */
  breakNextAfter: number | null;
  close(): Promise<void>;
}

/** Serves /stories260K.gguf (slowly: 64 KiB every 10 ms) and /not-a-model.gguf, with Range support. */
async function fileServer(): Promise<FileServer> {
  const state: FileServer = { url: "", gets: [], breakNextAfter: null, close: async () => undefined };
  const files: Record<string, Buffer> = { "/stories260K.gguf": FIXTURE, "/not-a-model.gguf": Buffer.alloc(200_000, 7) };
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ""];
    if (!body) return void res.writeHead(404).end("not found");
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : body.length - 1;
    const headers = { "content-type": "application/octet-stream", "accept-ranges": "bytes", "content-length": String(end - start + 1), ...(range ? { "content-range": `bytes ${start}-${end}/${body.length}` } : {}) };
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") return void res.end();
    state.gets.push({ path: req.url!, range: req.headers.range });
    // The downloader's transfer is a Range request (a first plain GET only learns the size): break that one.
    const breakAt = range ? state.breakNextAfter : null;
    if (range) state.breakNextAfter = null;
    let at = start;
    const pump = () => {
      if (res.destroyed) return;
      if (breakAt !== null && at - start >= breakAt) return void res.destroy();
      if (at > end) return void res.end();
      const next = Math.min(end + 1, at + 64 * 1024);
      res.write(body.subarray(at, next));
      at = next;
      setTimeout(pump, 10);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return state;
}

describe("embedded engine model downloads", () => {
  let files: FileServer;
  let modelsDir: string;
  const apps: TestApp[] = [];
  const open = async (chatModel: string) => {
    const t = await makeTestApp({ LLM_BACKEND: "embedded", MODELS_DIR: modelsDir, EMBEDDED_CHAT_MODEL: chatModel, EMBEDDED_EMBEDDING_MODEL: "", EMBEDDED_THREADS: "1", EMBEDDED_DOWNLOAD_STALL_SECONDS: "2" });
    apps.push(t);
    return t;
  };
  const ask = (t: TestApp) => t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Once upon a time" }], max_completion_tokens: 8, temperature: 0 });

  beforeEach(async () => {
    files = await fileServer();
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-models-"));
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
    await files.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it("downloads a missing model on first use, shows its progress in /health, uses it, and keeps it", async () => {
    const t = await open(`${files.url}/stories260K.gguf`);
    expect((await (await t.request("/health")).json()).embedded).toMatchObject({ reachable: true, downloads: [] });
    const seen: Array<{ downloaded_bytes: number; total_bytes: number }> = [];
    const answer = ask(t);
    for (let i = 0; i < 200 && seen.length === 0; i++) {
      const health = (await (await t.request("/health")).json()) as { embedded: { downloads: typeof seen } };
      seen.push(...health.embedded.downloads);
      await new Promise((r) => setTimeout(r, 10));
    }
    const completion = await answer;
    expect(completion.usage!.completion_tokens).toBe(8);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.total_bytes).toBe(FIXTURE.length);
    expect(seen[0]!.downloaded_bytes).toBeLessThan(FIXTURE.length);
    expect(fs.readFileSync(path.join(modelsDir, "127.0.0.1_stories260K.gguf")).equals(FIXTURE)).toBe(true);

    const gets = files.gets.length;
    const again = await open(`${files.url}/stories260K.gguf`);
    expect((await ask(again)).usage!.completion_tokens).toBe(8);
    expect(files.gets.length).toBe(gets); // already in MODELS_DIR: not fetched again
  }, 60_000);

  it("a transfer broken part-way is retried and the file arrives whole", async () => {
    const t = await open(`${files.url}/stories260K.gguf`);
    files.breakNextAfter = 300_000;
    expect((await ask(t)).usage!.completion_tokens).toBe(8);
    expect(files.gets.filter((g) => g.range !== undefined).length).toBeGreaterThanOrEqual(2); // broken, then again
    expect(fs.readFileSync(path.join(modelsDir, "127.0.0.1_stories260K.gguf")).equals(FIXTURE)).toBe(true);
  }, 60_000);

  it("ipull's progress record written after its final cut (a race under load) is not left at the end of the model file", async () => {
    // What CI once met: ipull saves its progress record (JSON after the file's bytes) without waiting, and that
    // write landed after the cut that ends the download. Here the record is held back until just after the cut.
    type Writer = { _fileWriteFinished: boolean; fileSize: number; write(at: number, bytes: Uint8Array): Promise<void>; ftruncate(size?: number): Promise<void>; saveMedataAfterFile(data: unknown): Promise<void> };
    const proto = (IpullFileWriter as unknown as { prototype: Writer }).prototype;
    const { ftruncate, saveMedataAfterFile } = proto;
    const held = new WeakMap<Writer, unknown>();
    let landedLate = 0;
    proto.saveMedataAfterFile = async function (this: Writer, data: unknown) {
      if (!this._fileWriteFinished) held.set(this, data);
    };
    proto.ftruncate = async function (this: Writer, size?: number) {
      await ftruncate.call(this, size);
      if (!held.has(this)) return;
      await this.write(this.fileSize, new TextEncoder().encode(JSON.stringify(held.get(this))));
      held.delete(this);
      landedLate++;
    };
    try {
      const t = await open(`${files.url}/stories260K.gguf`);
      expect((await ask(t)).usage!.completion_tokens).toBe(8);
    } finally {
      Object.assign(proto, { ftruncate, saveMedataAfterFile });
    }
    expect(landedLate).toBe(1);
    expect(fs.readFileSync(path.join(modelsDir, "127.0.0.1_stories260K.gguf")).equals(FIXTURE)).toBe(true);
  }, 60_000);

  it("a file that is not a GGUF is refused and removed; an unreachable source says which file to put where", async () => {
    const bad = await open(`${files.url}/not-a-model.gguf`);
    const refused = (await ask(bad).catch((err: unknown) => err)) as APIError;
    expect(refused).toBeInstanceOf(APIError);
    expect(refused.message).toMatch(/is not a GGUF model .*it was removed/);
    expect(fs.existsSync(path.join(modelsDir, "127.0.0.1_not-a-model.gguf"))).toBe(false);

    const offline = await open("http://127.0.0.1:9/nowhere/tiny.gguf");
    const unreachable = (await ask(offline).catch((err: unknown) => err)) as APIError;
    expect(unreachable.status).toBe(502);
    expect(unreachable.message).toContain(`put 127.0.0.1_tiny.gguf in ${modelsDir} yourself`);
  }, 60_000);
});
