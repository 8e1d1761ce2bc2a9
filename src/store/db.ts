import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import type { DataKey } from "./data-key.js";
import { MIGRATIONS } from "./migrations.js";
import { connectionRecipe, openSqlite } from "./sqlite-open.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
import { PgDb } from "./postgres/pg-db.js";
import { migratePostgres } from "./postgres/pg-migrations.js";
import { isPostgres, type Db } from "./sql.js";

export { atomically, isPostgres, type Db, type SqlStatement } from "./sql.js";


/**
 * Opens (creating if needed) the SQLite database under `dataDir` and brings its schema up to date.
 * `":memory:"` gives a throwaway database for tests. With a data key the file is encrypted (sqlite-open.ts).
 */
export function openDb(dataDir: string | ":memory:", key: DataKey | null = null): Database.Database {
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

/** The checkpointer of a SQLite file's write-ahead log (wal-checkpointer.ts); null for PostgreSQL and memory. */
export function checkpointInBackground(db: Db, key: DataKey | null): WalCheckpointer | null {
  if (isPostgres(db)) return null;
  const sqlite = db as Database.Database;
  return sqlite.memory ? null : new WalCheckpointer(sqlite, { file: sqlite.name, ...connectionRecipe(key) });
}

function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** Connects to PostgreSQL (tables in `schema`, created if missing) and brings its schema up to date under a lock. */
export function openPostgres(url: string, schema: string | null): Db {
  const db = new PgDb(url, schema);
  try {
    migratePostgres(db);
  } catch (err) {
    void db.close();
    throw err;
  }
  return db;
}
