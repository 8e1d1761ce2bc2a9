/**
 * The search index behind vector stores: one collection of chunks per vector store, searchable by text
 * (BM25), by embedding, or both. The LanceDB implementation lives in lance-index.ts.
 */

/** One stored chunk of one file. */
export interface ChunkRow {
  /** Unique within the store; see chunkRowId. */
  chunk_id: string;
  file_id: string;
  chunk_index: number;
  page_start: number | null;
  page_end: number | null;
  text: string;
  /**
   * Text searched with the chunk but not part of it, never returned in hits: its document's title
   * (document-title.ts), so that a chunk deep in a document is found by the words that name the document.
   */
  context?: string;
}

export interface SearchQuery {
  /** The user's query. Used for BM25 when it has any letter or digit. */
  text: string;
  /** The query's embedding; null for BM25-only stores (and ignored by them). */
  vector: number[] | null;
  /** Maximum hits returned. */
  limit: number;
  /** Only chunks of these files; absent = all files. An empty list matches nothing. */
  fileIds?: string[];
}

export interface SearchHit {
  file_id: string;
  chunk_index: number;
  page_start: number | null;
  page_end: number | null;
  text: string;
  /**
   * Relevance in 0..1, higher is better, hits sorted by it. Hybrid: reciprocal-rank-fusion score divided by
   * its maximum (rank 1 in both lists = 1). BM25 only: BM25 score divided by the best hit's (best = 1).
   * Vector only: cosine similarity, clamped at 0. Only the vector-only score is comparable across queries.
   */
  score: number;
}

export interface VectorIndex {
  /**
   * Inserts rows in one batch. `vectors` (one per row, same order) for embedded stores, null for BM25-only
   * stores; a store's first add fixes which kind it is and the vector dimension.
   * `partial`: more rows of the same file follow. Bringing the full-text index up to date (for a new store:
   * building it, the costly part of a small file's write) waits for the next add without it, which may have
   * no rows; until then partially added rows may not be found.
   */
  add(storeId: string, rows: ChunkRow[], vectors: number[][] | null, options?: { partial?: boolean }): Promise<void>;
  /** Removes every chunk of a file; a no-op when the store or file has none. */
  deleteFile(storeId: string, fileId: string): Promise<void>;
  /** Removes the whole store; a no-op when it does not exist. */
  drop(storeId: string): Promise<void>;
  /** Every chunk of one file in chunk order ([] when none): the parsed text a vector store holds. */
  fileChunks(storeId: string, fileId: string): Promise<ChunkRow[]>;
  /** Best chunks first; [] for a store that does not exist or has no matching chunk. */
  search(storeId: string, query: SearchQuery): Promise<SearchHit[]>;
  /**
   * Finishes indexing the store's writes so far, which an implementation may defer: until then new rows are
   * found, but may rank differently. A no-op when nothing is pending or the store does not exist.
   */
  flush(storeId: string): Promise<void>;
  /** Waits for pending writes, then releases the index. */
  close(): Promise<void>;
}

/** Thrown for a store id or file id that does not match our id patterns (never reaches a filter string). */
export class InvalidIdError extends Error {
  override readonly name = "InvalidIdError";
}

const STORE_ID = /^vs_[A-Za-z0-9]{24}$/;
const FILE_ID = /^file-[A-Za-z0-9]{24}$/;

/** Returns `id` when it is a vector store id (`vs_` + 24 base62); throws InvalidIdError otherwise. */
export function checkStoreId(id: string): string {
  if (!STORE_ID.test(id)) throw new InvalidIdError(`invalid vector store id: ${JSON.stringify(id).slice(0, 80)}`);
  return id;
}

/** Returns `id` when it is a file id (`file-` + 24 base62); throws InvalidIdError otherwise. */
export function checkFileId(id: string): string {
  if (!FILE_ID.test(id)) throw new InvalidIdError(`invalid file id: ${JSON.stringify(id).slice(0, 80)}`);
  return id;
}

/** The chunk id used by chunkRows: stable, so re-indexing a file yields the same ids. */
export function chunkRowId(fileId: string, chunkIndex: number): string {
  return `${fileId}#${chunkIndex}`;
}

/** Index rows for the chunks of one file; `context` (its title) is searched with each of them. */
export function chunkRows(
  fileId: string,
  chunks: ReadonlyArray<{ index: number; text: string; page_start: number | null; page_end: number | null }>,
  context?: string | null,
): ChunkRow[] {
  return chunks.map((c) => ({
    chunk_id: chunkRowId(fileId, c.index),
    file_id: fileId,
    chunk_index: c.index,
    page_start: c.page_start,
    page_end: c.page_end,
    text: c.text,
    ...(context ? { context } : {}),
  }));
}
