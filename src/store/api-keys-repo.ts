import { atomically, type Db } from "./db.js";

/** One API key as stored: never the key itself, only its SHA-256 (hex). */
export interface ApiKeyRow {
  id: string;
  sha256: string;
  name: string;
  project: string;
  admin: boolean;
  /** `file`: listed in API_KEYS_FILE (synced at boot); `http`: created through the admin endpoints. */
  source: "file" | "http";
  /** What a listing shows in place of the key (`sk-proj-…abcd`); the file's keys were never seen. */
  redacted_value: string;
  created_at: number;
  revoked_at: number | null;
}

const COLUMNS = "id, sha256, name, project, admin, source, redacted_value, created_at, revoked_at";

interface SqlRow extends Omit<ApiKeyRow, "admin"> {
  admin: number;
}

/** The `api_keys` table. Organisation-wide: it belongs to no project (the admin endpoints span them all). */
export class ApiKeysRepo {
  private readonly insertStmt;
  private readonly bySha;
  private readonly activeStmt;
  private readonly revokeStmt;
  private readonly updateFileStmt;
  private readonly fileRowsStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      "INSERT INTO api_keys (id, sha256, name, project, admin, source, redacted_value, created_at, revoked_at) " +
        // Nodes booting together sync the same API_KEYS_FILE: the second insert of a key is no error.
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
    );
    this.bySha = db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE sha256 = ?`);
    this.activeStmt = db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY seq`);
    this.revokeStmt = db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    this.updateFileStmt = db.prepare("UPDATE api_keys SET name = ?, project = ?, admin = ? WHERE sha256 = ?");
    this.fileRowsStmt = db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE source = 'file'`);
    this.deleteStmt = db.prepare("DELETE FROM api_keys WHERE id = ?");
  }

  insert(row: ApiKeyRow): void {
    this.insertStmt.run(row.id, row.sha256, row.name, row.project, row.admin ? 1 : 0, row.source, row.redacted_value, row.created_at, row.revoked_at);
  }

  /** Every key not revoked, oldest first. */
  active(): ApiKeyRow[] {
    return (this.activeStmt.all() as SqlRow[]).map(fromSql);
  }

  /** Marks a key revoked; false if it is unknown or revoked already. */
  revoke(id: string, at: number): boolean {
    return this.revokeStmt.run(at, id).changes > 0;
  }

  /**
   * Makes the file's keys the `file` rows: new ones inserted, listed ones updated (name, project, admin; a
   * revoked one stays revoked), others deleted. A key already created over HTTP keeps its row. One transaction.
   */
  syncFileKeys(keys: readonly Omit<ApiKeyRow, "source" | "revoked_at" | "id" | "created_at" | "redacted_value">[], newRow: (sha256: string) => Pick<ApiKeyRow, "id" | "created_at" | "redacted_value">): void {
    atomically(this.db, () => {
      const listed = new Set(keys.map((k) => k.sha256));
      for (const row of this.fileRowsStmt.all() as SqlRow[]) if (!listed.has(row.sha256)) this.deleteStmt.run(row.id);
      for (const key of keys) {
        const existing = this.bySha.get(key.sha256) as SqlRow | undefined;
        if (existing === undefined) this.insert({ ...key, ...newRow(key.sha256), source: "file", revoked_at: null });
        else if (existing.source === "file") this.updateFileStmt.run(key.name, key.project, key.admin ? 1 : 0, key.sha256);
      }
    });
  }
}

function fromSql(row: SqlRow): ApiKeyRow {
  return { ...row, admin: row.admin === 1, source: row.source };
}
