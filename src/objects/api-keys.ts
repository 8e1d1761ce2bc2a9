import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { z } from "zod";
import { ProjectName } from "../api/api-keys.js";
import type { Clock } from "../clock.js";
import { ConfigError } from "../config.js";
import { newId } from "../ids.js";
import type { ApiKeyRow, ApiKeysRepo } from "../store/api-keys-repo.js";
import { pageOfArray } from "../store/array-page.js";
import { DEFAULT_PROJECT } from "../store/project-scope.js";

/** Who a request's key says it is: the project its objects belong to, and whether it may manage keys. */
export interface Principal {
  /** null for `API_KEY` and for a server without keys (neither is in the api_keys table). */
  readonly keyId: string | null;
  readonly project: string;
  readonly admin: boolean;
}

/** A server without keys: everyone is this (loopback only, config.ts sees to that). */
export const ANONYMOUS: Principal = Object.freeze({ keyId: null, project: DEFAULT_PROJECT, admin: false });

/** One entry of API_KEYS_FILE: the key's SHA-256, never the key. */
export interface KeyFileEntry {
  name: string;
  sha256: string;
  project: string;
  admin: boolean;
}

const KeyFile = z.strictObject({
  keys: z.array(
    z.strictObject({
      name: z.string().min(1).max(256),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be the hex SHA-256 of the key (64 hex digits), never the key itself").transform((s) => s.toLowerCase()),
      project: ProjectName,
      admin: z.boolean().default(false),
    }),
  ),
});

/** Reads and checks API_KEYS_FILE; anything wrong with it is a ConfigError naming the entry. */
export function readKeysFile(file: string): KeyFileEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`API_KEYS_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`API_KEYS_FILE ${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = KeyFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`API_KEYS_FILE ${file}: ${issue.path.join(".") || "(top level)"}: ${issue.message}. Expected {"keys": [{"name": "...", "sha256": "<hex SHA-256 of the key>", "project": "...", "admin": false}]}.`);
  }
  const seen = new Set<string>();
  for (const [i, key] of parsed.data.keys.entries()) {
    if (seen.has(key.sha256)) throw new ConfigError(`API_KEYS_FILE ${file}: keys.${i}: the same key (sha256) is listed twice.`);
    seen.add(key.sha256);
  }
  return parsed.data.keys;
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export type KeyKind = { admin: true } | { admin: false; project: string };

export interface KeyPageQuery {
  limit: number;
  order: "asc" | "desc";
  after?: string | undefined;
}

/**
 * The keys a request may carry: `API_KEY` (project "default"), API_KEYS_FILE's and those created over HTTP
 * (both in the api_keys table, as SHA-256 only). Lookups go through an in-memory map by digest, rebuilt on
 * every change, so a revoked key stops working with the next request.
 */
export class ApiKeyService {
  private byDigest = new Map<string, Principal>();

  constructor(
    private readonly repo: ApiKeysRepo,
    private readonly clock: Clock,
    private readonly config: { apiKey: string | null; fileKeys: readonly KeyFileEntry[] | null },
  ) {
    if (config.apiKey !== null && config.fileKeys?.some((k) => k.sha256 === sha256Hex(config.apiKey!))) {
      throw new ConfigError("API_KEY is also listed in API_KEYS_FILE: list it in one place (API_KEY's project is \"default\").");
    }
    if (config.fileKeys !== null) {
      repo.syncFileKeys(config.fileKeys, () => ({ id: newId("key_"), created_at: clock(), redacted_value: "(in API_KEYS_FILE)" }));
    }
    this.reload();
  }

  /** Whether requests need a key (API_KEY or API_KEYS_FILE set). */
  get required(): boolean {
    return this.config.apiKey !== null || this.config.fileKeys !== null;
  }

  /**
   * The principal of a presented key, or null. The key is hashed before anything compares it, so how long the
   * lookup takes depends on its SHA-256 alone, which tells an attacker nothing about a stored key's.
   */
  authenticate(key: string): Principal | null {
    return this.byDigest.get(sha256Hex(key)) ?? null;
  }

  /** Creates a key; its secret is in the answer only (the table keeps its SHA-256). */
  create(name: string, project: string, admin: boolean): { row: ApiKeyRow; value: string } {
    const value = `${admin ? "sk-admin-" : "sk-proj-"}${randomBytes(32).toString("base64url")}`;
    const row: ApiKeyRow = {
      id: newId("key_"),
      sha256: sha256Hex(value),
      name,
      project,
      admin,
      source: "http",
      redacted_value: `${value.slice(0, admin ? 9 : 8)}...${value.slice(-4)}`,
      created_at: this.clock(),
      revoked_at: null,
    };
    this.repo.insert(row);
    this.changed();
    return { row, value };
  }

  /** A page of the live keys of a kind (admin keys, or one project's keys); null when `after` names none of them. */
  page(kind: KeyKind, q: KeyPageQuery): { data: ApiKeyRow[]; has_more: boolean } | null {
    return pageOfArray(this.repo.active().filter((r) => matches(r, kind)), q);
  }


  find(id: string, kind: KeyKind): ApiKeyRow | null {
    return this.repo.active().find((r) => r.id === id && matches(r, kind)) ?? null;
  }

  /** Revokes a live key of that kind; it stops working at once. False if there is none. */
  revoke(id: string, kind: KeyKind): boolean {
    if (this.find(id, kind) === null || !this.repo.revoke(id, this.clock())) return false;
    this.changed();
    return true;
  }

  /**
   * Whether a principal authenticated earlier still holds (a long-lived connection asks before each turn): its key
   * not revoked since. API_KEY and a keyless server cannot be revoked.
   */
  stillValid(principal: Principal): boolean {
    return principal.keyId === null || [...this.byDigest.values()].some((p) => p.keyId === principal.keyId);
  }

  /** Told after a key was created or revoked here (other server nodes must reload: composition wires it). */
  onChange: () => void = () => {};

  private changed(): void {
    this.reload();
    this.onChange();
  }

  /** Reads the keys again (another node created or revoked one). */
  reload(): void {
    const next = new Map<string, Principal>();
    // Without API_KEYS_FILE the table is not consulted: only API_KEY works.
    if (this.config.fileKeys !== null) {
      for (const r of this.repo.active()) next.set(r.sha256, Object.freeze({ keyId: r.id, project: r.project, admin: r.admin }));
    }
    if (this.config.apiKey !== null) next.set(sha256Hex(this.config.apiKey), Object.freeze({ keyId: null, project: DEFAULT_PROJECT, admin: false }));
    this.byDigest = next;
  }
}

function matches(row: ApiKeyRow, kind: KeyKind): boolean {
  return kind.admin ? row.admin : !row.admin && row.project === kind.project;
}
