/**
 * BLOB_STORE=s3://bucket/prefix: uploaded files are also kept in S3-compatible object storage, so nodes need no
 * shared volume for them. Tested against s3rver (an S3-compatible server from npm) on a free port.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toFile } from "openai";
import S3rver from "s3rver";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

describe("BLOB_STORE on S3-compatible storage", () => {
  let server: { close(): Promise<void>; httpServer?: import("node:http").Server };
  let endpoint: string;
  let bucketDir: string;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    bucketDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-s3-"));
    const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: bucketDir, configureBuckets: [{ name: "blobs" }] });
    const { port } = (await s3.run()) as { port: number };
    server = s3 as unknown as { close(): Promise<void> };
    endpoint = `http://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
    // Connections still open after the app closed (likely LanceDB's S3 client's) would keep close() waiting: it
    // hung past the 20 s hook timeout once on a loaded CI machine.
    server.httpServer?.closeAllConnections();
    await server.close();
    fs.rmSync(bucketDir, { recursive: true, force: true });
  });

  const app = async (dataDir?: string, extra: Record<string, string> = {}) => {
    const t = await makeTestApp({
      BLOB_STORE: "s3://blobs/uploads",
      S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      ...(dataDir ? { DATA_DIR: dataDir } : {}),
      ...extra,
    });
    apps.push(t);
    return t;
  };

  /** The objects the bucket holds, by key (s3rver keeps them as files under its directory). */
  const objectKeys = () =>
    fs.existsSync(path.join(bucketDir, "blobs"))
      ? fs.readdirSync(path.join(bucketDir, "blobs"), { recursive: true }).map(String).filter((f) => !f.endsWith("._S3rver_metadata.json") && !f.endsWith("._S3rver_object.md5") && f.includes("file-"))
      : [];

  it("an upload is stored in the bucket; a node whose DATA_DIR lacks it reads it from there; a delete removes it there", async () => {
    const t = await app();
    const bytes = Buffer.from("bytes every node must reach ".repeat(1000));
    const file = await t.client.files.create({ file: await toFile(bytes, "shared.txt"), purpose: "assistants" });
    expect(objectKeys().some((k) => k.includes(file.id))).toBe(true);
    // The local copy gone (another node, with its own DATA_DIR): read through from the bucket.
    fs.rmSync(path.join(t.dataDir, "files", file.id));
    expect(Buffer.from(await (await t.client.files.content(file.id)).arrayBuffer()).equals(bytes)).toBe(true);
    expect(fs.existsSync(path.join(t.dataDir, "files", file.id))).toBe(true); // kept here from then on
    await t.client.files.delete(file.id);
    expect(objectKeys().some((k) => k.includes(file.id))).toBe(false);
  });

  it("vector stores index into LanceDB in the same bucket (s3://…/lancedb), not in DATA_DIR, and search it", async () => {
    const t = await app(undefined, { EMBEDDING_MODEL: "" });
    const file = await t.client.files.create({ file: await toFile(Buffer.from("The quartz lantern sits on the third shelf of the archive."), "lantern.txt"), purpose: "assistants" });
    const store = await t.client.vectorStores.create({ file_ids: [file.id] });
    await t.services.ingestor.idle();
    expect((await t.client.vectorStores.retrieve(store.id)).file_counts.completed).toBe(1);
    const hits = await t.client.vectorStores.search(store.id, { query: "quartz lantern" });
    expect(hits.data[0]?.file_id).toBe(file.id);
    const keys = fs.readdirSync(path.join(bucketDir, "blobs"), { recursive: true }).map(String);
    expect(keys.some((k) => k.startsWith(path.join("uploads", "lancedb", store.id)))).toBe(true);
    expect(fs.existsSync(path.join(t.dataDir, "lancedb"))).toBe(false);
  });

  it("with encryption at rest the bucket holds only sealed bytes", async () => {
    const t = await app(undefined, { DATA_ENCRYPTION_KEY: "a passphrase for the bucket test" });
    const secret = "the plaintext must never reach the bucket";
    const file = await t.client.files.create({ file: await toFile(Buffer.from(secret), "secret.txt"), purpose: "assistants" });
    const key = objectKeys().find((k) => k.includes(file.id) && !k.includes("metadata"))!;
    expect(fs.readFileSync(path.join(bucketDir, "blobs", key)).includes(Buffer.from(secret))).toBe(false);
    fs.rmSync(path.join(t.dataDir, "files", file.id));
    expect(Buffer.from(await (await t.client.files.content(file.id)).arrayBuffer()).toString()).toBe(secret);
  });

  it("GET /health is 503 while the bucket does not answer; a bad BLOB_STORE is a configuration error", async () => {
    const t = await app();
    expect((await t.request("/health")).status).toBe(200);
    await server.close();
    const res = await t.request("/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ problems: { storage: expect.stringMatching(/BLOB_STORE's bucket does not answer/) } });
    const { loadConfig } = await import("../../src/config.js");
    expect(() => loadConfig({ BLOB_STORE: "/var/files" })).toThrow(/BLOB_STORE must be an s3:\/\/bucket\/prefix URL/);
    server = { close: async () => undefined };
  });
});
