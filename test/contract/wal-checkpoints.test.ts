/**
 * The server's writes reach the SQLite file by a checkpoint thread's work (store/wal-checkpointer.ts), not in
 * its own commits; its data key opens the file there too, and closing the server leaves no log behind.
 * (SQLite only: the PostgreSQL suite leaves this file out.)
 */
import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.close();
    fs.rmSync(app.dataDir, { recursive: true, force: true });
  }
});

async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Threads in the database file alone (a copy without its log): what checkpoints moved into it. */
function threadsInFileAlone(dataDir: string): number {
  const copy = path.join(dataDir, "copy.sqlite");
  fs.copyFileSync(path.join(dataDir, "db.sqlite"), copy);
  const db = new Database(copy, { readonly: true });
  try {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'threads'").get() as { n: number };
    return tables.n === 0 ? 0 : (db.prepare("SELECT count(*) AS n FROM threads").get() as { n: number }).n;
  } finally {
    db.close();
    fs.rmSync(copy);
  }
}

describe("SQLite checkpoints off the event loop", () => {
  it("threads created through the API reach the database file by the checkpoint thread; the server's own checkpoints are off meanwhile", async () => {
    const t = await makeTestApp();
    apps.push(t);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the boot's writes are looked at once, and left
    for (let i = 0; i < 30; i++) await t.client.beta.threads.create({ messages: [{ role: "user", content: `Question ${i}` }] });
    const checkpointer = t.services.checkpointer!;
    // Both: the thread's checkpoint can move the rows before its reply (which counts it) reaches this thread.
    await until("a checkpoint by the thread, and the rows in the database file", () => checkpointer.checkpoints > 0 && threadsInFileAlone(t.dataDir) === 30);
    expect(checkpointer.state).toBe("thread");
    expect((t.services.db as Database.Database).pragma("wal_autocheckpoint", { simple: true })).toBe(0);
  });

  it("closing the server stops the thread and its connection: the log is checkpointed and removed, and a restart reads every thread", async () => {
    const t = await makeTestApp();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await t.client.beta.threads.create({ metadata: { n: String(i) } })).id);
    await until("a checkpoint by the thread", () => t.services.checkpointer!.checkpoints > 0);
    await t.close();
    // SQLite removes the log when its last connection closes: the thread's was closed too.
    expect(fs.existsSync(path.join(t.dataDir, "db.sqlite-wal"))).toBe(false);
    expect(threadsInFileAlone(t.dataDir)).toBe(10);

    const again = await makeTestApp({ DATA_DIR: t.dataDir });
    apps.push(again);
    for (const [i, id] of ids.entries()) expect((await again.client.beta.threads.retrieve(id)).metadata).toEqual({ n: String(i) });
  });

  it("an encrypted data directory: the thread opens the file with its key and checkpoints it", async () => {
    const t = await makeTestApp({ DATA_ENCRYPTION_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" });
    apps.push(t);
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (let i = 0; i < 10; i++) await t.client.beta.threads.create({ messages: [{ role: "user", content: `Secret ${i}` }] });
    await until("a checkpoint by the thread", () => t.services.checkpointer!.checkpoints > 0);
    expect(t.services.checkpointer!.state).toBe("thread");
    // The thread's checkpoints wrote pages into the file, all of them encrypted.
    expect(fs.readFileSync(path.join(t.dataDir, "db.sqlite")).includes("Secret 3")).toBe(false);
    expect(fs.statSync(path.join(t.dataDir, "db.sqlite")).size).toBeGreaterThan(0);
  });
});
