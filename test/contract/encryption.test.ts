/**
 * Encryption at rest (DATA_ENCRYPTION_KEY / DATA_ENCRYPTION_KEY_FILE), checked on the bytes in DATA_DIR: no
 * plaintext of an uploaded document, a file name, an assistant's instructions or a message anywhere under
 * DATA_DIR but the LanceDB index (which README names as not encrypted); everything reads back after a restart
 * with the key; a wrong key, a missing key or a key on a plain data directory refuse to start and change nothing.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toFile } from "openai";
import type { Env } from "../../src/config.js";
import { rawError } from "../helpers/contract.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import { captureLog } from "../helpers/log-capture.js";

const HEX_KEY = randomBytes(32).toString("hex");
const OTHER_KEY = randomBytes(32).toString("hex");

/** Every regular file under `dir`, relative to it. */
function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** The files under DATA_DIR whose bytes contain `needle`. */
function filesContaining(dataDir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, "utf8");
  return walk(dataDir).filter((rel) => fs.readFileSync(path.join(dataDir, rel)).includes(bytes));
}

/** A word that appears nowhere unless we wrote it. */
const canary = (what: string): string => `canary${what}${randomBytes(6).toString("hex")}`;

describe("encryption at rest", () => {
  let dataDir: string;
  const opened: TestApp[] = [];
  const open = async (env: Env = { DATA_ENCRYPTION_KEY: HEX_KEY }): Promise<TestApp> => {
    const t = await makeTestApp({ EMBEDDING_MODEL: "", ...env, DATA_DIR: dataDir });
    opened.push(t);
    return t;
  };
  const close = async (t: TestApp): Promise<void> => {
    opened.splice(opened.indexOf(t), 1);
    await t.close();
  };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-enc-"));
  });
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("no plaintext under DATA_DIR but the LanceDB index, while running and after close; a restart with the key reads it all", async () => {
    const words = { doc: canary("doc"), name: canary("name"), instructions: canary("instr"), message: canary("msg"), store: canary("store") };
    const document = Buffer.from(`Volcanoes erupt when magma rises through the crust. The secret word is ${words.doc}.\n`);
    const binary = randomBytes(200_000);

    const t = await open();
    const c = t.client;
    const file = await c.files.create({ file: await toFile(document, `${words.name}.txt`), purpose: "assistants" });
    const bin = await c.files.create({ file: await toFile(binary, "noise.bin"), purpose: "assistants" });
    const assistant = await c.beta.assistants.create({ model: "gpt-4o", instructions: `Say ${words.instructions}.` });
    const thread = await c.beta.threads.create({ messages: [{ role: "user", content: `Tell me about ${words.message}` }] });
    const store = await c.vectorStores.create({ name: words.store });
    const indexed = await c.vectorStores.files.createAndPoll(store.id, { file_id: file.id }, { pollIntervalMs: 20 });
    expect(indexed.status).toBe("completed");
    const hits = await c.vectorStores.search(store.id, { query: words.doc });
    expect(JSON.stringify(hits.data)).toContain(words.doc);

    // While running (WAL and shared-memory files in place) and after a clean close.
    for (const when of ["running", "closed"]) {
      if (when === "closed") await close(t);
      for (const word of Object.values(words)) {
        const found = filesContaining(dataDir, word).filter((rel) => !rel.startsWith(`lancedb${path.sep}`));
        expect(found, `${word} in the clear (${when})`).toEqual([]);
      }
      // Not one 64-byte run of the random upload either.
      const stored = fs.readFileSync(path.join(dataDir, "files", bin.id));
      expect(stored.includes(binary.subarray(1000, 1064)), when).toBe(false);
    }
    // What README says is not encrypted: the search index holds the chunk text (Lance may compress it).
    expect(filesContaining(dataDir, words.doc).length).toBeGreaterThan(0);
    expect(filesContaining(dataDir, words.doc).every((rel) => rel.startsWith(`lancedb${path.sep}`))).toBe(true);

    const again = await open();
    const r = again.client;
    expect(Buffer.from(await (await r.files.content(file.id)).arrayBuffer()).equals(document)).toBe(true);
    expect(Buffer.from(await (await r.files.content(bin.id)).arrayBuffer()).equals(binary)).toBe(true);
    expect((await r.files.retrieve(file.id)).filename).toBe(`${words.name}.txt`);
    expect((await r.beta.assistants.retrieve(assistant.id)).instructions).toBe(`Say ${words.instructions}.`);
    const messages = await r.beta.threads.messages.list(thread.id);
    expect(JSON.stringify(messages.data)).toContain(words.message);
    expect((await r.vectorStores.retrieve(store.id)).name).toBe(words.store);
  });

  it("a wrong key refuses to start with a clear message and changes nothing; the right key still opens it", async () => {
    const t = await open();
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", name: "kept" });
    await close(t);
    const before = snapshot(dataDir);

    await expect(open({ DATA_ENCRYPTION_KEY: OTHER_KEY })).rejects.toThrow(
      /^DATA_ENCRYPTION_KEY does not open the database in DATA_DIR \(.*db\.sqlite\): it is not the key/,
    );
    await expect(open({ DATA_ENCRYPTION_KEY: "a passphrase instead of the key" })).rejects.toThrow(/encryption\.json \(its salt\) is missing/);
    expect(snapshot(dataDir)).toEqual(before);

    const again = await open();
    expect((await again.client.beta.assistants.retrieve(assistant.id)).name).toBe("kept");
  });

  it("an encrypted DATA_DIR without a key, and a plain one with a key, refuse to start and change nothing", async () => {
    const t = await open();
    await t.client.beta.assistants.create({ model: "gpt-4o" });
    await close(t);
    const encrypted = snapshot(dataDir);
    await expect(open({})).rejects.toThrow(/^The database in DATA_DIR \(.*\) is encrypted .*set DATA_ENCRYPTION_KEY/);
    expect(snapshot(dataDir)).toEqual(encrypted);

    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir);
    const plain = await open({});
    await plain.client.beta.assistants.create({ model: "gpt-4o" });
    await close(plain);
    const plainFiles = snapshot(dataDir);
    await expect(open()).rejects.toThrow(/^DATA_ENCRYPTION_KEY is set, but the database in DATA_DIR \(.*\) is not encrypted/);
    await expect(open({ DATA_ENCRYPTION_KEY: "a passphrase that is long enough" })).rejects.toThrow(/is not encrypted/);
    expect(snapshot(dataDir)).toEqual(plainFiles);
  });

  it("a passphrase is stretched with scrypt under a salt kept in DATA_DIR/encryption.json", async () => {
    const passphrase = "correct horse battery staple";
    const t = await open({ DATA_ENCRYPTION_KEY: passphrase });
    const file = await t.client.files.create({ file: await toFile(Buffer.from("pass phrase text"), "p.txt"), purpose: "assistants" });
    await close(t);
    const salt = JSON.parse(fs.readFileSync(path.join(dataDir, "encryption.json"), "utf8")) as Record<string, unknown>;
    expect(salt).toMatchObject({ kdf: "scrypt", N: 2 ** 17, r: 8, p: 1 });
    expect(Buffer.from(salt.salt as string, "base64")).toHaveLength(16);

    const again = await open({ DATA_ENCRYPTION_KEY: passphrase });
    expect(Buffer.from(await (await again.client.files.content(file.id)).arrayBuffer()).toString()).toBe("pass phrase text");
    await close(again);
    await expect(open({ DATA_ENCRYPTION_KEY: "correct horse battery stapler" })).rejects.toThrow(/^DATA_ENCRYPTION_KEY does not open the database in DATA_DIR/);

    fs.renameSync(path.join(dataDir, "encryption.json"), path.join(dataDir, "salt.bak"));
    await expect(open({ DATA_ENCRYPTION_KEY: passphrase })).rejects.toThrow(/encryption\.json \(its salt\) is missing/);
    expect(fs.existsSync(path.join(dataDir, "encryption.json"))).toBe(false);
  });

  it("the key may be hex or base64 (the same key both ways), or come from DATA_ENCRYPTION_KEY_FILE", async () => {
    const t = await open({ DATA_ENCRYPTION_KEY: HEX_KEY });
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", name: "one key" });
    await close(t);
    const base64 = await open({ DATA_ENCRYPTION_KEY: Buffer.from(HEX_KEY, "hex").toString("base64") });
    expect((await base64.client.beta.assistants.retrieve(assistant.id)).name).toBe("one key");
    await close(base64);
    const keyFile = path.join(os.tmpdir(), `la-key-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(keyFile, `${HEX_KEY}\n`, { mode: 0o600 });
    try {
      const fromFile = await open({ DATA_ENCRYPTION_KEY_FILE: keyFile });
      expect((await fromFile.client.beta.assistants.retrieve(assistant.id)).name).toBe("one key");
      await close(fromFile);
      await expect(open({ DATA_ENCRYPTION_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: HEX_KEY })).rejects.toThrow(/not both/);
    } finally {
      fs.rmSync(keyFile, { force: true });
    }
    await expect(open({ DATA_ENCRYPTION_KEY_FILE: `${keyFile}.missing` })).rejects.toThrow(/DATA_ENCRYPTION_KEY_FILE .* cannot be read/);
    await expect(open({ DATA_ENCRYPTION_KEY: "short" })).rejects.toThrow(/passphrase of at least 12 characters/);
  });

  it("a changed, cut or swapped blob is refused, never served as the file", async () => {
    const logged = captureLog();
    const t = await open();
    const bytes = randomBytes(300_000);
    const a = await t.client.files.create({ file: await toFile(bytes, "a.bin"), purpose: "assistants" });
    const b = await t.client.files.create({ file: await toFile(randomBytes(300_000), "b.bin"), purpose: "assistants" });
    const blob = (id: string) => path.join(dataDir, "files", id);
    const original = fs.readFileSync(blob(a.id));
    const download = async (): Promise<Buffer> => Buffer.from(await (await t.request(`/v1/files/${a.id}/content`)).arrayBuffer());

    expect((await download()).equals(bytes)).toBe(true);
    // Damage past the first chunk: the answer has begun (200, Content-Length) and breaks off there.
    const flipped = Buffer.from(original);
    flipped[200_000]! ^= 1;
    fs.writeFileSync(blob(a.id), flipped);
    await expect(download()).rejects.toThrow();
    fs.writeFileSync(blob(a.id), original.subarray(0, original.length - 100));
    await expect(download()).rejects.toThrow();
    // Another file's bytes (or a changed header or first chunk): refused before the answer starts.
    fs.copyFileSync(blob(b.id), blob(a.id));
    const swapped = await rawError(await t.request(`/v1/files/${a.id}/content`), 500);
    expect(swapped).toMatchObject({ type: "server_error", code: "file_integrity_check_failed" });
    expect(swapped.message).toMatch(/fail their integrity check/);
    fs.writeFileSync(blob(a.id), original);
    expect((await download()).equals(bytes)).toBe(true);
    logged.stop();
    expect(logged.lines().filter((l) => l.level === "error" && String(l.msg).includes("integrity check"))).toHaveLength(3);
  });
});

/** Name → size and modification time of every file under `dir`. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    walk(dir).map((rel) => {
      const st = fs.statSync(path.join(dir, rel));
      return [rel, `${st.size}@${st.mtimeMs}`];
    }),
  );
}
