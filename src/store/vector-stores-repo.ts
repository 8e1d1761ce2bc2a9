import type { FileCounts, VectorStore, VectorStoreFile, VectorStoreFileBatch } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable, ScopedStatement, type Page, type PageQuery } from "./document-table.js";

export class VectorStoresRepo extends DocumentTable<VectorStore> {
  constructor(db: Db) {
    super(db, "vector_stores");
  }
}

/** How a store's index was built: the embedding model and dimension, or null/null for BM25 only. */
export interface IndexSettings {
  embedding_model: string | null;
  dims: number | null;
}

export class VectorStoreIndexRepo {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare("SELECT embedding_model, dims FROM vector_store_index WHERE vector_store_id = ?");
    this.setStmt = db.prepare(
      "INSERT INTO vector_store_index (vector_store_id, embedding_model, dims) VALUES (?, ?, ?) " +
        "ON CONFLICT (vector_store_id) DO UPDATE SET embedding_model = excluded.embedding_model, dims = excluded.dims",
    );
    this.deleteStmt = db.prepare("DELETE FROM vector_store_index WHERE vector_store_id = ?");
  }

  /** null until the store's first file decides how it is indexed. */
  get(storeId: string): IndexSettings | null {
    return (this.getStmt.get(storeId) as IndexSettings | undefined) ?? null;
  }

  set(storeId: string, settings: IndexSettings): void {
    this.setStmt.run(storeId, settings.embedding_model, settings.dims);
  }

  delete(storeId: string): void {
    this.deleteStmt.run(storeId);
  }
}

const key = (storeId: string, fileId: string): string => `${storeId}/${fileId}`;

/** A file's membership in a store; one row per (store, file). */
export class VectorStoreFilesRepo extends DocumentTable<VectorStoreFile & { batch_id?: string | null }> {
  private readonly countsStmt;
  private readonly batchCountsStmt;
  private readonly bytesStmt;

  constructor(database: Db) {
    super(
      database,
      "vector_store_files",
      [
        { name: "vector_store_id", of: (f) => f.vector_store_id, fixed: true },
        { name: "file_id", of: (f) => f.id, fixed: true },
        { name: "status", of: (f) => f.status },
        { name: "batch_id", of: (f) => f.batch_id ?? null },
        { name: "usage_bytes", of: (f) => f.usage_bytes },
      ],
      (f) => key(f.vector_store_id, f.id),
    );
    this.countsStmt = new ScopedStatement(database, "SELECT status, COUNT(*) AS n FROM vector_store_files WHERE vector_store_id = ?{project} GROUP BY status");
    this.batchCountsStmt = new ScopedStatement(database, "SELECT status, COUNT(*) AS n FROM vector_store_files WHERE batch_id = ?{project} GROUP BY status");
    this.bytesStmt = new ScopedStatement(
      database,
      // The cast: PostgreSQL sums BIGINTs as NUMERIC, which its driver gives as text.
      "SELECT CAST(COALESCE(SUM(usage_bytes), 0) AS BIGINT) FROM vector_store_files WHERE vector_store_id = ? AND status = 'completed'{project}",
      true,
    );
  }

  find(storeId: string, fileId: string): VectorStoreFile | null {
    return strip(this.get(key(storeId, fileId)));
  }

  remove(storeId: string, fileId: string): boolean {
    return this.delete(key(storeId, fileId));
  }

  pageInStore(storeId: string, filter: { status?: string; batch_id?: string }, q: PageQuery): Page<VectorStoreFile> | null {
    const cursor = (id: string | undefined) => (id === undefined ? undefined : key(storeId, id));
    const page = this.page({ vector_store_id: storeId, ...filter }, { ...q, after: cursor(q.after), before: cursor(q.before) });
    return page && { ...page, data: page.data.map((f) => strip(f)!) };
  }

  counts(storeId: string, batchId?: string): FileCounts {
    const rows = (batchId === undefined ? this.countsStmt.all(storeId) : this.batchCountsStmt.all(batchId)) as { status: string; n: number }[];
    const counts: FileCounts = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    for (const { status, n } of rows) {
      if (status in counts) counts[status as keyof FileCounts] += n;
      counts.total += n;
    }
    return counts;
  }

  usageBytes(storeId: string): number {
    return this.bytesStmt.get(storeId) as number;
  }
}

export class FileBatchesRepo extends DocumentTable<VectorStoreFileBatch> {
  constructor(db: Db) {
    super(db, "vector_store_file_batches", [{ name: "vector_store_id", of: (b) => b.vector_store_id, fixed: true }]);
  }
}

/** batch_id is bookkeeping, not part of the wire object. */
function strip<T extends { batch_id?: string | null }>(row: T | null): Omit<T, "batch_id"> | null {
  if (row === null) return null;
  const { batch_id: _batch, ...file } = row;
  return file;
}
