import { hkdfSync, randomBytes, scryptSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../config.js";
import { databaseState, notEncrypted } from "./sqlite-open.js";

/**
 * The encryption-at-rest key of a data directory, from `DATA_ENCRYPTION_KEY` or `DATA_ENCRYPTION_KEY_FILE`:
 * 32 bytes written as 64 hex digits or as base64, or else a passphrase, stretched with scrypt under a random
 * salt kept in `DATA_DIR/encryption.json` (not secret; without it the passphrase opens nothing).
 * The database and the uploaded files each get their own key, derived from this one with HKDF-SHA256.
 */
export interface DataKey {
  /** SQLite's page key (SQLite3MultipleCiphers, ChaCha20-Poly1305). */
  readonly database: Buffer;
  /** Root of the per-file keys of uploaded bytes (AES-256-GCM, files/blob-crypto.ts). */
  readonly files: Buffer;
  /** Which variable the key came from, for messages. */
  readonly source: string;
}

export type KeySetting = { readonly key: string } | { readonly keyFile: string };

export const SALT_FILE = "encryption.json";
const MIN_PASSPHRASE = 12;
/** scrypt cost: 128 MiB and ~0.3 s once per start (OWASP's minimum for scrypt is N=2^17, r=8, p=1). */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

interface SaltFile {
  readonly version: 1;
  readonly kdf: "scrypt";
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
}

/**
 * The data key for `dataDir`, or null when encryption at rest is off. A passphrase on a data directory that
 * has no salt yet gets one, but only when the directory holds no database yet (a new, empty data directory).
 */
export function resolveDataKey(dataDir: string, setting: KeySetting | null): DataKey | null {
  if (setting === null) return null;
  const source = "key" in setting ? "DATA_ENCRYPTION_KEY" : "DATA_ENCRYPTION_KEY_FILE";
  const secret = "key" in setting ? setting.key : readKeyFile(setting.keyFile);
  const master = rawKey(secret) ?? passphraseKey(dataDir, secret, source);
  return Object.freeze({ database: derive(master, "database"), files: derive(master, "files"), source });
}

function readKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`DATA_ENCRYPTION_KEY_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  const key = text.trim();
  if (key === "") throw new ConfigError(`DATA_ENCRYPTION_KEY_FILE ${file} is empty.`);
  return key;
}

/** 64 hex digits, or base64 (standard or URL alphabet) of exactly 32 bytes; anything else is a passphrase. */
export function rawKey(secret: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(secret)) return Buffer.from(secret, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(secret)) {
    const bytes = Buffer.from(secret.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (bytes.length === 32) return bytes;
  }
  return null;
}

function passphraseKey(dataDir: string, passphrase: string, source: string): Buffer {
  if ([...passphrase].length < MIN_PASSPHRASE) {
    throw new ConfigError(
      `${source} is neither a 32-byte key (64 hex digits or base64) nor a passphrase of at least ${MIN_PASSPHRASE} characters.`,
    );
  }
  const file = path.join(dataDir, SALT_FILE);
  const salt = readSalt(file) ?? createSalt(dataDir, file, source);
  return scryptSync(passphrase.normalize("NFC"), Buffer.from(salt.salt, "base64"), 32, {
    N: salt.N,
    r: salt.r,
    p: salt.p,
    maxmem: 256 * salt.N * salt.r + 64 * 1024 * 1024,
  });
}

function readSalt(file: string): SaltFile | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`${file} (the salt of the encryption passphrase) cannot be read: ${(err as Error).message}`);
  }
  const salt = safeJson(text) as Partial<SaltFile> | null;
  const ok =
    salt !== null &&
    salt.kdf === "scrypt" &&
    typeof salt.salt === "string" &&
    [salt.N, salt.r, salt.p].every((n) => Number.isInteger(n) && (n as number) > 0) &&
    Number.isInteger(Math.log2(salt.N as number)) &&
    (salt.N as number) <= 2 ** 22;
  if (!ok) throw new ConfigError(`${file} (the salt of the encryption passphrase) is damaged; without it the passphrase opens nothing.`);
  return salt as SaltFile;
}

function createSalt(dataDir: string, file: string, source: string): SaltFile {
  const db = path.join(dataDir, "db.sqlite");
  if (databaseState(db) === "plain") throw notEncrypted(db, source);
  if (databaseState(db) === "encrypted") {
    throw new ConfigError(
      `${source} is a passphrase, but ${file} (its salt) is missing from a data directory that already holds a database: ` +
        `the passphrase cannot be turned into the key without it. Restore ${SALT_FILE} from a backup, or use the 32-byte key itself.`,
    );
  }
  const salt: SaltFile = { version: 1, kdf: "scrypt", ...SCRYPT, salt: randomBytes(16).toString("base64") };
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // wx: two processes starting on one new directory cannot each write their own salt.
    fs.writeFileSync(file, `${JSON.stringify(salt, null, 2)}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return readSalt(file)!;
    throw err;
  }
  return salt;
}

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `local-assistants ${purpose} v1`, 32));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
