import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import type { DataKey } from "./data-key.js";
import { MIGRATIONS } from "./migrations.js";
import { openSqlite } from "./sqlite-open.js";

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite database under `dataDir` and brings its schema up to date.
 * `":memory:"` gives a throwaway database for tests. With a data key the file is encrypted (sqlite-open.ts).
 */
export function openDb(dataDir: string | ":memory:", key: DataKey | null = null): Db {
  const file = dataDir === ":memory:" ? ":memory:" : path.join(dataDir, "db.sqlite");
  if (dataDir !== ":memory:") fs.mkdirSync(dataDir, { recursive: true });
  const db = openSqlite(file, key);
  // WAL: readers never block the writer; synchronous=NORMAL is durable across process crashes
  // (only an OS crash can lose the last transactions), which is the failure we guard against.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
