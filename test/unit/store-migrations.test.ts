import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { VectorStoreFilesRepo } from "../../src/store/vector-stores-repo.js";

describe("schema migrations", () => {
  it("a database from before the usage_bytes column gets it filled from the stored files", () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-"));
    try {
      // The schema as the previous release left it, with two completed files and a failed one in a store.
      const old = new Database(join(dir, "db.sqlite"));
      for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
      old.pragma("user_version = 3");
      const insert = old.prepare(
        "INSERT INTO vector_store_files (id, created_at, vector_store_id, file_id, status, batch_id, body) VALUES (?, 1, 'vs_1', ?, ?, NULL, ?)",
      );
      for (const [file, status, bytes] of [["file-a", "completed", 1200], ["file-b", "completed", 34], ["file-c", "failed", 0]] as const) {
        insert.run(`vs_1/${file}`, file, status, JSON.stringify({ id: file, vector_store_id: "vs_1", status, usage_bytes: bytes }));
      }
      old.close();

      const db = openDb(dir);
      expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
      const repo = new VectorStoreFilesRepo(db);
      expect(repo.usageBytes("vs_1")).toBe(1234);
      expect(repo.usageBytes("vs_other")).toBe(0);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
