/**
 * Uploads stream to disk: the multipart file part goes to `files/<id>.partial` as it arrives (then is renamed),
 * MAX_UPLOAD_BYTES holds a body of unknown length too, MAX_CONCURRENT_UPLOADS bounds uploads received at once
 * (more wait; past 16 per slot waiting → 429), and a `.partial` never outlives a failed upload or a restart.
 * (Peak memory of a large upload in a real server process: test/reliability/uploads.test.ts.)
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { toFile } from "openai";
import { rawError, useTestApp } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const BOUNDARY = "stream-boundary-7d1f";
const enc = (s: string): Uint8Array => Buffer.from(s, "utf8");
const head = (name: string, purpose = "assistants"): Uint8Array =>
  enc(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${purpose}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
const TAIL = enc(`\r\n--${BOUNDARY}--\r\n`);
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** An upload whose body the test writes piece by piece (no Content-Length: the body streams). */
function heldUpload(t: TestApp, name = "held.bin") {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const abort = new AbortController();
  const sent: Uint8Array[] = [];
  controller.enqueue(head(name));
  const response = t.app.request(`http://local-assistants.test/v1/files`, {
    method: "POST",
    body,
    duplex: "half",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    signal: abort.signal,
  } as RequestInit);
  return {
    response,
    send(bytes: Uint8Array) {
      sent.push(bytes);
      controller.enqueue(bytes);
    },
    finish() {
      controller.enqueue(TAIL);
      controller.close();
    },
    /** The client goes away mid-body. */
    hangUp() {
      abort.abort();
      controller.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
    },
    bytes: () => Buffer.concat(sent),
  };
}

const filesDir = (t: TestApp): string => path.join(t.dataDir, "files");
const partials = (t: TestApp): string[] => fs.readdirSync(filesDir(t)).filter((n) => n.endsWith(".partial"));
const blobs = (t: TestApp): string[] => fs.readdirSync(filesDir(t)).filter((n) => !n.endsWith(".partial"));

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("uploads stream to disk", () => {
  const app = useTestApp({ MAX_CONCURRENT_UPLOADS: "2" });

  it("a body of unknown length is written as it arrives, to a .partial file renamed when complete", async () => {
    const t = app();
    const up = heldUpload(t, "streamed.bin");
    up.send(randomBytes(300_000));
    await until(() => partials(t).length === 1, "the .partial file");
    expect(blobs(t)).toEqual([]);
    up.send(randomBytes(300_000));
    up.finish();
    const res = await up.response;
    expect(res.status).toBe(200);
    const file = (await res.json()) as { id: string; bytes: number; filename: string };
    expectMatchesSchema(file, "OpenAIFile");
    expect(file).toMatchObject({ bytes: 600_000, filename: "streamed.bin" });
    expect(partials(t)).toEqual([]);
    expect(blobs(t)).toEqual([file.id]);
    const got = Buffer.from(await (await t.client.files.content(file.id)).arrayBuffer());
    expect(sha256(got)).toBe(sha256(up.bytes()));
  });

  it("MAX_CONCURRENT_UPLOADS are received at once; the others wait their turn and then complete", async () => {
    const t = app();
    const ups = Array.from({ length: 5 }, (_, i) => heldUpload(t, `u${i}.bin`));
    for (const up of ups) up.send(randomBytes(1000));
    await until(() => partials(t).length === 2, "two uploads receiving");
    await sleep(100);
    expect(partials(t)).toHaveLength(2); // the other three have not started writing

    // Finish them in reverse order: the waiting ones take the slots as they free up.
    for (const up of [...ups].reverse()) up.finish();
    const results = await Promise.all(ups.map(async (up) => (await up.response).json() as Promise<{ id: string; filename: string }>));
    expect(results.map((r) => r.filename)).toEqual(ups.map((_, i) => `u${i}.bin`));
    expect(blobs(t).sort()).toEqual(results.map((r) => r.id).sort());
    expect(partials(t)).toEqual([]);
  });

  it("a client that hangs up while waiting leaves the queue; one that hangs up mid-body leaves no .partial", async () => {
    const t = app();
    const [a, b, waiting] = [heldUpload(t, "a"), heldUpload(t, "b"), heldUpload(t, "c")];
    for (const up of [a, b, waiting]) up.send(randomBytes(1000));
    await until(() => partials(t).length === 2, "two uploads receiving");
    waiting.hangUp();
    expect((await rawError(await waiting.response, 400)).message).toMatch(/closed the connection/);
    a.hangUp();
    expect((await a.response).status).toBe(400);
    await until(() => partials(t).length === 1, "the hung-up upload's .partial removed");
    // The freed slots serve new uploads at once.
    const file = await t.client.files.create({ file: await toFile(Buffer.from("next"), "next.txt"), purpose: "assistants" });
    b.finish();
    expect((await b.response).status).toBe(200);
    expect(blobs(t)).toContain(file.id);
    expect(partials(t)).toEqual([]);
  });

  it("a body cut off inside the file part is 400 and leaves nothing behind", async () => {
    const t = app();
    const body = Buffer.concat([head("cut.bin"), randomBytes(200_000)]); // no closing boundary
    const res = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body,
    });
    expect((await rawError(res, 400)).code).toBe("invalid_multipart");
    expect(fs.readdirSync(filesDir(t))).toEqual([]);
  });

  it("a body cut at any byte is answered 400 (or 200 once it is whole), with nothing left behind", async () => {
    const t = app();
    const whole = Buffer.concat([head("cut.bin"), randomBytes(300), TAIL]);
    const statuses = new Set<number>();
    for (let cut = 0; cut <= whole.length; cut += 3) {
      const res = await t.request("/v1/files", {
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
        body: whole.subarray(0, cut),
      });
      statuses.add(res.status);
      expect([200, 400], `cut at ${cut}`).toContain(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual(new Set([200, 400]));
    expect(partials(t)).toEqual([]);
  });

  it("an upload with a bad purpose after its file part leaves nothing behind", async () => {
    const t = app();
    const body = Buffer.concat([
      enc(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n`),
      randomBytes(100_000),
      enc(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nhomework\r\n--${BOUNDARY}--\r\n`),
    ]);
    const res = await t.request("/v1/files", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` }, body });
    expect((await rawError(res, 400)).param).toBe("purpose");
    expect(fs.readdirSync(filesDir(t))).toEqual([]);
  });

  it("a multipart body without a boundary is 400", async () => {
    const res = await app().request("/v1/files", { method: "POST", headers: { "content-type": "multipart/form-data" }, body: "x" });
    expect((await rawError(res, 400)).code).toBe("invalid_multipart");
  });
});

describe("uploads: the waiting line is bounded", () => {
  const app = useTestApp({ MAX_CONCURRENT_UPLOADS: "1" });

  it("past 16 waiting per slot an upload gets 429 rate_limit_exceeded with retry-after; the others complete", async () => {
    const t = app();
    const ups = Array.from({ length: 17 }, (_, i) => heldUpload(t, `w${i}`));
    for (const up of ups) up.send(randomBytes(100));
    await until(() => partials(t).length === 1, "one upload receiving");
    await sleep(50);
    const refused = await t.request("/v1/files", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: Buffer.concat([head("late"), enc("x"), TAIL]),
    });
    expect(refused.headers.get("retry-after")).toBe("1");
    const err = await rawError(refused, 429);
    expect(err).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(err.message).toMatch(/1 are being received and 16 are waiting \(MAX_CONCURRENT_UPLOADS=1\)/);
    for (const up of ups) up.finish();
    expect((await Promise.all(ups.map(async (up) => (await up.response).status)))).toEqual(ups.map(() => 200));
  });
});

describe("uploads: MAX_UPLOAD_BYTES on a body of unknown length", () => {
  const app = useTestApp({ MAX_UPLOAD_BYTES: String(64 * 1024) });

  it("is cut off past the limit with 413, and its .partial removed", async () => {
    const t = app();
    const up = heldUpload(t, "big.bin");
    up.send(randomBytes(40 * 1024));
    await until(() => partials(t).length === 1, "the .partial file");
    up.send(randomBytes(40 * 1024));
    const err = await rawError(await up.response, 413);
    expect(err.code).toBe("request_too_large");
    expect(fs.readdirSync(filesDir(t))).toEqual([]);
  });
});

describe("uploads: encrypted at rest", () => {
  const app = useTestApp({ DATA_ENCRYPTION_KEY: randomBytes(32).toString("hex") });

  it("a streamed upload is stored sealed and reads back byte for byte", async () => {
    const t = app();
    const up = heldUpload(t, "sealed.bin");
    for (let i = 0; i < 10; i++) up.send(randomBytes(100_003));
    up.finish();
    const file = (await (await up.response).json()) as { id: string; bytes: number };
    expect(file.bytes).toBe(1_000_030);
    const stored = fs.readFileSync(path.join(filesDir(t), file.id));
    expect(stored.subarray(0, 8).toString("latin1")).toBe("LAFILE\x01\0");
    expect(stored.includes(up.bytes().subarray(5000, 5064))).toBe(false);
    const res = await t.client.files.content(file.id);
    expect(res.headers.get("content-length")).toBe("1000030");
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(up.bytes()));
  });
});

describe("uploads: .partial files a crash left behind", () => {
  it("are removed at boot; committed files stay", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-partial-"));
    try {
      const first = await makeTestApp({ DATA_DIR: dataDir });
      const kept = await first.client.files.create({ file: await toFile(Buffer.from("kept"), "kept.txt"), purpose: "assistants" });
      await first.close();
      const stale = path.join(dataDir, "files", "file-AAAAAAAAAAAAAAAAAAAAAAAA.partial");
      fs.writeFileSync(stale, randomBytes(5000));
      const second = await makeTestApp({ DATA_DIR: dataDir });
      expect(fs.readdirSync(path.join(dataDir, "files"))).toEqual([kept.id]);
      expect(Buffer.from(await (await second.client.files.content(kept.id)).arrayBuffer()).toString()).toBe("kept");
      await second.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
