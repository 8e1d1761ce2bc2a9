/**
 * VectorIndex on embedded LanceDB: one table per vector store under one directory, a BM25 full-text index
 * on `text`, an optional fixed-size `vector` column searched by brute-force cosine distance.
 */
import * as lancedb from "@lancedb/lancedb";
import { DataType, Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from "apache-arrow";
import type { Ranked } from "./fusion.js";
import { DEFAULT_EXPANSION, expansionTerms, rescore, type ExpansionOptions } from "./query-expansion.js";
import { checkVectors, fileFilter, fuse, ranked, storedText, toChunkRow, toHits, type Hit } from "./lance-rows.js";
import { DEFAULT_PROXIMITY, proximityRerank, type ProximityOptions } from "./proximity.js";
import { StoreTermStats } from "./store-term-stats.js";
import { checkFileId, checkStoreId, type ChunkRow, type SearchHit, type SearchQuery, type VectorIndex } from "./vector-index.js";
import { log } from "../log.js";
import { DEFAULT_FTS, SHARED_STORE_REFRESH_MS, type LanceIndexOptions } from "./lance-options.js";

export { DEFAULT_FTS, type LanceIndexOptions } from "./lance-options.js";

interface Store {
  table: lancedb.Table;
  /** When this description was read (Date.now()): shared stores are read again when it is old (readStore). */
  openedAt: number;
  /** Vector dimension, or null for a BM25-only store. */
  dims: number | null;
  hasFts: boolean;
  /** An approximate (IVF-RQ) vector index exists; below VECTOR_INDEX_MIN_ROWS vectors are searched exactly. */
  hasVectorIndex: boolean;
  /** The table has `context_chars` (tables made before it store chunks without context). */
  hasContext: boolean;
  /** Writes since the last optimize; each left a small fragment that full-text search reads flat. */
  unoptimized: number;
  /**
   * Rows added with `partial` whose full-text indexing waits for the file's last add. Not reset by deletes:
   * an overcount only makes that add's optimize come sooner, an undercount could skip building the index.
   */
  pendingRows: number;
  /** Word statistics for query expansion, read when first needed. */
  terms: StoreTermStats;
}

const COLUMNS = ["chunk_id", "file_id", "chunk_index", "page_start", "page_end", "text"];
const columnsOf = (store: Store) => (store.hasContext ? [...COLUMNS, "context_chars"] : COLUMNS);
// BM25 ignores everything past this: a pasted document as a query would only slow the search down.
const MAX_QUERY_CHARS = 4000;
// Optimize right away after this many unoptimized writes, or after one write of this many rows (see afterWrite).
const OPTIMIZE_EVERY_WRITES = 32;
const BIG_WRITE_ROWS = 256;
// Exact vector search costs ~3.5 ms per 1,000 chunks (hybrid p95 91 ms at 20k, 600 ms at 100k: bench/search-latency.ts
// --hybrid), so past this size a store gets an IVF-RQ index (builds in about a second per 100k rows).
const VECTOR_INDEX_MIN_ROWS = 10_000;
// IVF-RQ recall ≈ 0.9 at nprobes 40 with a refine step over 10× the candidates (LanceDB 0.37 on Node 20, as the
// project's original dependency notes recorded it; bench/search-latency.ts times the search).
const VECTOR_NPROBES = 40;
const VECTOR_REFINE_FACTOR = 10;

export class LanceIndex implements VectorIndex {
  private readonly stores = new Map<string, Promise<Store | null>>();
  // One writer per table: LanceDB writers to one table conflict, so writes to a store run one at a time.
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly db: lancedb.Connection,
    private readonly options: Required<LanceIndexOptions>,
  ) {}

  /** Opens (creating if needed) the index directory, or an `s3://` location (with `storageOptions`). */
  static async open(dir: string, options: LanceIndexOptions = {}): Promise<LanceIndex> {
    const db = await lancedb.connect(dir, {
      ...(options.shared ? { readConsistencyInterval: 0 } : {}),
      ...(options.storageOptions ? { storageOptions: options.storageOptions } : {}),
    });
    return new LanceIndex(db, {
      fts: { ...DEFAULT_FTS, ...options.fts },
      rrfK: options.rrfK ?? 60,
      expansion: options.expansion === undefined ? DEFAULT_EXPANSION : options.expansion,
      proximity: options.proximity === undefined ? DEFAULT_PROXIMITY : options.proximity,
      keepVersionsMs: options.keepVersionsMs ?? 60_000,
      optimizeIdleMs: options.optimizeIdleMs ?? 250,
      shared: options.shared ?? false,
      storageOptions: options.storageOptions ?? {},
    });
  }

  async add(storeId: string, rows: ChunkRow[], vectors: number[][] | null, options: { partial?: boolean } = {}): Promise<void> {
    checkStoreId(storeId);
    rows.forEach((r) => checkFileId(r.file_id));
    const dims = checkVectors(rows.length, vectors);
    await this.write(storeId, async () => {
      let store = await this.store(storeId);
      if (rows.length > 0) {
        const records = toRecords(rows, vectors, store?.hasContext ?? true);
        if (!store) {
          // A new store's table is created holding its first rows: one commit instead of two.
          store = await this.create(storeId, dims, records);
        } else {
          if (store.dims !== dims) {
            const kind = (d: number | null) => (d === null ? "no vectors (BM25 only)" : `${d}-dimension vectors`);
            throw new Error(`vector store ${storeId} holds ${kind(store.dims)}; got ${kind(dims)}`);
          }
          await store.table.add(records);
        }
        store.pendingRows += rows.length;
        store.terms.added(records.map((r) => String(r.text)));
      }
      if (!store || options.partial || store.pendingRows === 0) return;
      const added = store.pendingRows;
      store.pendingRows = 0;
      // A new full-text index covers every row: nothing is left to optimize.
      if (!store.hasFts) {
        await this.createFts(store);
        await this.indexVectorsIfLarge(store);
      } else await this.afterWrite(storeId, store, added);
    });
  }

  async deleteFile(storeId: string, fileId: string): Promise<void> {
    checkStoreId(storeId);
    const filter = `file_id = '${checkFileId(fileId)}'`;
    await this.write(storeId, async () => {
      const store = await this.store(storeId);
      if (!store) return;
      const { numDeletedRows } = await store.table.delete(filter);
      // Deleted rows linger in data files and index segments until compaction.
      if (numDeletedRows > 0) await this.afterWrite(storeId, store, 0);
      store.terms.removed(numDeletedRows);
    });
  }

  async drop(storeId: string): Promise<void> {
    checkStoreId(storeId);
    await this.write(storeId, async () => {
      const store = await this.store(storeId);
      this.stores.delete(storeId);
      clearTimeout(this.idleTimers.get(storeId));
      this.idleTimers.delete(storeId);
      if (!store) return;
      store.table.close();
      await this.db.dropTable(storeId);
    });
  }

  async search(storeId: string, query: SearchQuery): Promise<SearchHit[]> {
    checkStoreId(storeId);
    const filter = fileFilter(query.fileIds);
    const store = await this.readStore(storeId);
    if (!store || filter === false || query.limit <= 0) return [];
    const text = query.text.slice(0, MAX_QUERY_CHARS);
    const useText = store.hasFts && /[\p{L}\p{N}]/u.test(text);
    const useVector = store.dims !== null && query.vector !== null;
    if (useVector && query.vector!.length !== store.dims) {
      throw new Error(`query vector has ${query.vector!.length} dimensions; vector store ${storeId} has ${store.dims}`);
    }
    // Fusion needs more than `limit` candidates per list: a chunk ranked 15th by both lists beats one
    // ranked 1st by only one of them.
    const depth = useText && useVector ? Math.min(Math.max(query.limit * 2, 20), 200) : query.limit;
    const [bm25, dense] = await Promise.all([
      useText ? this.textSearch(store, text, depth, filter) : null,
      useVector ? this.vectorSearch(store, query.vector!, depth, filter) : null,
    ]);
    return toHits(fuse(bm25, dense, query.limit, this.options.rrfK));
  }

  async flush(storeId: string): Promise<void> {
    checkStoreId(storeId);
    clearTimeout(this.idleTimers.get(storeId));
    this.idleTimers.delete(storeId);
    await this.write(storeId, () => this.optimizePending(storeId));
  }

  async fileChunks(storeId: string, fileId: string): Promise<ChunkRow[]> {
    checkStoreId(storeId);
    const filter = fileFilter([fileId]);
    const store = await this.readStore(storeId);
    if (!store || !filter) return [];
    const rows = await store.table.query().where(filter).select(columnsOf(store)).limit(1_000_000).toArray();
    return rows.map((r: Record<string, unknown>) => toChunkRow(String(r.chunk_id), ranked([r], "_score")[0]!.item)).sort((a, b) => a.chunk_index - b.chunk_index);
  }

  async close(): Promise<void> {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    // Leave every store compacted and fully indexed on disk, as if its writes had paused.
    const pending = [...this.idleTimers.keys()].map((id) => this.write(id, () => this.optimizePending(id)));
    this.idleTimers.clear();
    await Promise.allSettled(pending);
    this.closed = true;
    await Promise.allSettled(this.queues.values());
    const stores = await Promise.allSettled(this.stores.values());
    for (const s of stores) if (s.status === "fulfilled" && s.value) s.value.table.close();
    this.stores.clear();
    this.db.close();
  }

  /**
   * BM25, with the query expanded by pseudo-relevance feedback and the best hits re-ranked by proximity, each
   * unless off (options.expansion, options.proximity null).
   */
  private async textSearch(store: Store, text: string, limit: number, filter: string | null): Promise<Array<Ranked<Hit>>> {
    const { expansion, proximity } = this.options;
    // Enough candidates for the expansion's re-scoring and proximity's re-ranking, of which `limit` are kept.
    const depth = Math.max(limit, proximity?.depth ?? 0, expansion?.candidates ?? 0, expansion?.feedbackChunks ?? 0);
    const [first, stats] = await Promise.all([this.fullText(store, text, depth, filter), expansion ? store.terms.get() : null]);
    let found = first;
    if (expansion && stats) {
      // Feedback and proximity read the chunks as indexed, titles included: with the expansion's earlier second
      // search that scored 0.403 on Cranfield, the chunks' own words alone 0.400 (feedback) and 0.394 (both).
      const added = expansionTerms(text, first.map((r) => ({ text: r.item.text, score: r.raw })), expansion);
      // The query's words matched fewer chunks than asked for: the added words find more (scored 0 for the query).
      const more = added.length > 0 && first.length < limit ? await this.fullText(store, added.map((t) => t.word).join(" "), depth, filter) : [];
      const seen = new Set(first.map((r) => r.key));
      const pool = [...first, ...more.filter((r) => !seen.has(r.key)).map((r) => ({ ...r, raw: 0 }))];
      found = rescore(pool, added, (hit) => hit.text, stats, expansion);
    }
    return (proximity ? proximityRerank(text, found, (hit) => hit.text, proximity) : found).slice(0, limit);
  }

  private async fullText(store: Store, text: string, limit: number, filter: string | null): Promise<Array<Ranked<Hit>>> {
    // MatchQuery (OR of the query's terms) rather than a query string: user text is never parsed as syntax.
    let q = store.table.query().fullTextSearch(new lancedb.MatchQuery(text, "text")).select([...columnsOf(store), "_score"]).limit(limit);
    if (filter) q = q.where(filter);
    return ranked(await q.toArray(), "_score");
  }

  private async vectorSearch(store: Store, vector: number[], limit: number, filter: string | null): Promise<Array<Ranked<Hit>>> {
    let q = store.table
      .query()
      .nearestTo(vector)
      .distanceType("cosine")
      .select([...columnsOf(store), "_distance"])
      .limit(limit);
    if (store.hasVectorIndex) q = q.nprobes(VECTOR_NPROBES).refineFactor(VECTOR_REFINE_FACTOR);
    if (filter) q = q.where(filter);
    return ranked(await q.toArray(), "_distance");
  }

  /** Runs `fn` after every earlier write to the same store; a failed write does not block later ones. */
  private write<T>(storeId: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the vector index is closed"));
    // The queue holds only settled-successfully tails, so chaining with then() never skips a write.
    const run = (this.queues.get(storeId) ?? Promise.resolve()).then(() => fn());
    const tail = run.catch(() => undefined);
    this.queues.set(storeId, tail);
    // Forget the queue once idle so the map does not grow with every store ever written.
    void tail.then(() => this.queues.get(storeId) === tail && this.queues.delete(storeId));
    return run;
  }

  /**
   * The store as a read sees it. Shared with other processes, a description this process is not keeping up
   * to date itself (no write of its own in flight) is read again once it is older than SHARED_STORE_REFRESH_MS.
   */
  private async readStore(storeId: string): Promise<Store | null> {
    const store = await this.store(storeId);
    if (!store || !this.options.shared || this.queues.has(storeId) || Date.now() - store.openedAt < SHARED_STORE_REFRESH_MS) return store;
    if (this.stores.get(storeId) !== undefined && (await this.stores.get(storeId)) === store) this.stores.delete(storeId);
    return this.store(storeId);
  }

  private store(storeId: string): Promise<Store | null> {
    const cached = this.stores.get(storeId);
    if (cached) return cached;
    const opening = this.openStore(storeId);
    this.stores.set(storeId, opening);
    // A store that does not exist yet (or failed to open) is not remembered: it may be created later.
    const forget = () => this.stores.get(storeId) === opening && this.stores.delete(storeId);
    void opening.then((s) => s === null && forget(), forget);
    return opening;
  }

  private async openStore(storeId: string): Promise<Store | null> {
    let table: lancedb.Table;
    try {
      table = await this.db.openTable(storeId);
    } catch (err) {
      // LanceDB reports a missing table only through its message (no error code).
      if (err instanceof Error && /was not found/.test(err.message)) return null;
      throw err;
    }
    const schema = await table.schema();
    const vector = schema.fields.find((f) => f.name === "vector");
    const dims = vector && DataType.isFixedSizeList(vector.type) ? vector.type.listSize : null;
    const indices = await table.listIndices();
    const fts = indices.find((i) => i.indexType === "FTS" && i.columns.includes("text"));
    const hasContext = schema.fields.some((f) => f.name === "context_chars");
    const hasVectorIndex = indices.some((i) => i.columns.includes("vector"));
    // Rows a previous process added but never indexed (it stopped before optimizing) get indexed soon.
    const unindexed = fts ? ((await table.indexStats(fts.name))?.numUnindexedRows ?? 0) : 0;
    // Shared with other nodes, the node indexing the store (its lease holder) optimizes it; a reader must not write.
    if (unindexed > 0 && !this.options.shared) this.optimizeWhenIdle(storeId);
    return { table, dims, hasFts: fts !== undefined, hasVectorIndex, hasContext, unoptimized: unindexed > 0 ? 1 : 0, pendingRows: 0, terms: new StoreTermStats(table), openedAt: Date.now() };
  }

  private async create(storeId: string, dims: number | null, records: Array<Record<string, unknown>>): Promise<Store> {
    const fields: Field[] = [
      new Field("chunk_id", new Utf8(), false),
      new Field("file_id", new Utf8(), false),
      new Field("chunk_index", new Int32(), false),
      new Field("page_start", new Int32(), true),
      new Field("page_end", new Int32(), true),
      new Field("text", new Utf8(), false),
      new Field("context_chars", new Int32(), false),
    ];
    if (dims !== null) fields.push(new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false));
    const table = await this.db.createTable(storeId, records, { schema: new Schema(fields) });
    const store: Store = { table, dims, hasFts: false, hasVectorIndex: false, hasContext: true, unoptimized: 0, pendingRows: 0, terms: new StoreTermStats(table), openedAt: Date.now() };
    this.stores.set(storeId, Promise.resolve(store));
    return store;
  }

  private async createFts(store: Store): Promise<void> {
    await store.table.createIndex("text", { config: lancedb.Index.fts(this.options.fts), replace: true });
    store.hasFts = true;
    store.unoptimized = 0;
  }

  /**
   * Optimizing after every write cost ~35 ms, growing with the versions kept: 1,400 one-page files took 7
   * minutes to ingest (bench/retrieval-quality.ts). Unoptimized rows stay searchable, each write leaving a
   * fragment read flat (~0.15 ms per search), but BM25 scores them with other term statistics, so rankings
   * shift until the optimize (the ingestor flushes a store when its last queued file is indexed). So:
   * optimize at once after a big write or every OPTIMIZE_EVERY_WRITES writes, else once writes pause.
   */
  private async afterWrite(storeId: string, store: Store, rows: number): Promise<void> {
    store.unoptimized += 1;
    if (rows >= BIG_WRITE_ROWS || store.unoptimized >= OPTIMIZE_EVERY_WRITES) await this.optimize(store);
    else this.optimizeWhenIdle(storeId);
  }

  /** (Re)starts the store's idle timer; when it fires, pending writes are optimized through the write queue. */
  private optimizeWhenIdle(storeId: string): void {
    clearTimeout(this.idleTimers.get(storeId));
    const timer = setTimeout(() => {
      this.idleTimers.delete(storeId);
      this.write(storeId, () => this.optimizePending(storeId)).catch((err: unknown) => log.error({ err, vector_store_id: storeId }, "optimizing the store's index failed"));
    }, this.options.optimizeIdleMs);
    timer.unref(); // a pending optimize must not keep the process alive
    this.idleTimers.set(storeId, timer);
  }

  private async optimizePending(storeId: string): Promise<void> {
    const store = await this.store(storeId);
    if (store && store.unoptimized > 0) await this.optimize(store);
  }

  /**
   * Folds new rows into the indexes (they are searched flat until then), compacts, prunes old versions, and
   * gives a store that has grown past VECTOR_INDEX_MIN_ROWS its approximate vector index.
   */
  private async optimize(store: Store): Promise<void> {
    await store.table.optimize({ cleanupOlderThan: new Date(Date.now() - this.options.keepVersionsMs) });
    store.unoptimized = 0;
    await this.indexVectorsIfLarge(store);
  }

  private async indexVectorsIfLarge(store: Store): Promise<void> {
    if (store.dims === null || store.hasVectorIndex || (await store.table.countRows()) < VECTOR_INDEX_MIN_ROWS) return;
    await store.table.createIndex("vector", { config: lancedb.Index.ivfRq({ distanceType: "cosine" }), replace: true });
    store.hasVectorIndex = true;
  }
}

/** Table records for `rows`: the chunk's text as indexed (after its context, where the table has the column). */
function toRecords(rows: ChunkRow[], vectors: number[][] | null, withContext: boolean): Array<Record<string, unknown>> {
  return rows.map(({ context, ...row }, i) => {
    const record: Record<string, unknown> = withContext ? { ...row, ...storedText({ text: row.text, context }) } : row;
    if (vectors) record.vector = vectors[i];
    return record;
  });
}
