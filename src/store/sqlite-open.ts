import Database from "better-sqlite3";
import fs from "node:fs";
import { createRequire } from "node:module";
import { ConfigError } from "../config.js";

/**
 * Opens the SQLite file, encrypted or not, and refuses every mismatch between the file and the key before
 * anything is written: an encrypted file without a key, a plain file with one, a key that does not open it.
 *
 * Encrypted databases use better-sqlite3-multiple-ciphers (SQLite3MultipleCiphers; its default cipher,
 * ChaCha20-Poly1305 per page, so a changed page fails to read instead of reading wrong). It is loaded only
 * when a key is set: without one the database opens with better-sqlite3 as it always has. (Measured here:
 * without a key the two are equally fast; with one, point writes ~0.5x and uncached reads ~0.55x, see
 * bench/encryption.ts for what that costs the API.)
 */
export type DatabaseState = "absent" | "plain" | "encrypted";

const PLAIN_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** What the file at `file` is: a plain SQLite database starts with its 16-byte header; an encrypted one with none. */
export function databaseState(file: string): DatabaseState {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw err;
  }
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    if (n === 0) return "absent"; // created, never written: SQLite treats it as new
    return n === 16 && head.equals(PLAIN_HEADER) ? "plain" : "encrypted";
  } finally {
    fs.closeSync(fd);
  }
}

export function notEncrypted(file: string, source: string): ConfigError {
  return new ConfigError(
    `${source} is set, but the database in DATA_DIR (${file}) is not encrypted. This version does not encrypt an existing ` +
      `data directory in place: start without the key to use it as it is, or point DATA_DIR at a new, empty directory ` +
      `to start encrypted (and upload the files again). Nothing was changed.`,
  );
}

export function openSqlite(file: string, key: { readonly database: Buffer; readonly source: string } | null): Database.Database {
  if (file === ":memory:") return new Database(file); // nothing reaches the disk
  const state = databaseState(file);
  if (key === null) {
    if (state === "encrypted") {
      throw new ConfigError(
        `The database in DATA_DIR (${file}) is encrypted (or is not an SQLite database): set DATA_ENCRYPTION_KEY or ` +
          `DATA_ENCRYPTION_KEY_FILE to the key it was created with. Nothing was changed.`,
      );
    }
    return new Database(file);
  }
  if (state === "plain") throw notEncrypted(file, key.source);
  const Cipher = loadCipherSqlite();
  if (state === "encrypted") {
    // Try the key on a read-only connection first: a wrong key must not get the chance to write anything
    // (a checkpoint of the write-ahead log on close, say).
    const probe = new Cipher(file, { readonly: true, fileMustExist: true });
    try {
      applyKey(probe, key.database);
      probe.prepare("SELECT count(*) FROM sqlite_master").get();
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_NOTADB") {
        throw new ConfigError(
          `${key.source} does not open the database in DATA_DIR (${file}): it is not the key the data directory was ` +
            `encrypted with (or the file is damaged). Nothing was changed; start with the right key.`,
        );
      }
      throw err;
    } finally {
      probe.close();
    }
  }
  const db = new Cipher(file);
  applyKey(db, key.database);
  // Sorts and temporary indexes stay in memory, so no temporary file holds rows in the clear.
  db.pragma("temp_store = MEMORY");
  return db;
}

function applyKey(db: Database.Database, key: Buffer): void {
  for (const pragma of keyPragmas(key)) db.pragma(pragma);
}

function keyPragmas(key: Buffer): string[] {
  return ["cipher = 'chacha20'", `hexkey = '${key.toString("hex")}'`];
}

/**
 * How another connection (in a worker thread: store/wal-checkpointer.ts) opens the same file: the driver
 * package to load, and the pragmas to run first (the key's, when the file is encrypted).
 */
export function connectionRecipe(key: { readonly database: Buffer } | null): { driver: string; pragmas: string[] } {
  return key === null ? { driver: "better-sqlite3", pragmas: [] } : { driver: "better-sqlite3-multiple-ciphers", pragmas: keyPragmas(key.database) };
}

let cipherSqlite: typeof Database | undefined;

function loadCipherSqlite(): typeof Database {
  if (cipherSqlite) return cipherSqlite;
  try {
    // API-compatible with better-sqlite3 (a fork of it), so its connections are better-sqlite3 Databases.
    cipherSqlite = createRequire(import.meta.url)("better-sqlite3-multiple-ciphers") as typeof Database;
  } catch (err) {
    throw new ConfigError(
      `DATA_ENCRYPTION_KEY is set but better-sqlite3-multiple-ciphers, which encrypts the database, did not load ` +
        `(${(err as Error).message}). Run npm install.`,
    );
  }
  return cipherSqlite;
}
