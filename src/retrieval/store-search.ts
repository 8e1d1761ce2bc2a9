import type { AttributeFilter } from "../api/vector-stores.js";
import type { FileAttributes } from "../api/wire.js";
import type { Embedder } from "../llm/chat-model.js";
import type { FilesRepo } from "../store/files-repo.js";
import type { VectorStoreFilesRepo, VectorStoreIndexRepo } from "../store/vector-stores-repo.js";
import { compileFilter, type AttributePredicate } from "./attribute-filter.js";
import type { SearchHit, VectorIndex } from "./vector-index.js";

export interface StoreHit extends SearchHit {
  vector_store_id: string;
  filename: string;
  attributes: FileAttributes;
}

export interface StoreSearchOptions {
  limit: number;
  scoreThreshold?: number;
  filter?: AttributeFilter | undefined;
  /** Stops embedding the query (a cancelled run); the search then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Searches one or more vector stores with a text query: BM25 always, plus the query's embedding for stores
 * built with an embedding model (hybrid). If the embedding model is unreachable at query time the search
 * still answers, by BM25 alone.
 */
export class StoreSearch {
  constructor(
    private readonly deps: {
      index: VectorIndex;
      storeFiles: VectorStoreFilesRepo;
      indexSettings: VectorStoreIndexRepo;
      files: FilesRepo;
      embedderFor(model: string): Embedder;
    },
  ) {}

  async search(storeIds: string[], query: string, options: StoreSearchOptions): Promise<StoreHit[]> {
    const vectors = new Map<string, Promise<number[] | null>>();
    const matches = options.filter ? compileFilter(options.filter) : null; // once per search, not per store or file
    const perStore = await Promise.all(
      storeIds.map(async (storeId) => {
        const fileIds = matches ? this.filteredFileIds(storeId, matches) : this.whileIndexing(storeId);
        const model = this.deps.indexSettings.get(storeId)?.embedding_model ?? null;
        const vector = model === null ? null : await this.embedOnce(vectors, model, query, options.signal);
        const hits = await this.deps.index.search(storeId, { text: query, vector, limit: options.limit, ...(fileIds ? { fileIds } : {}) });
        return hits.map((hit) => this.describe(storeId, hit));
      }),
    );
    return perStore
      .flat()
      .filter((h): h is StoreHit => h !== null && h.score >= (options.scoreThreshold ?? 0))
      .sort((a, b) => b.score - a.score)
      .slice(0, options.limit);
  }

  /**
   * While files are being indexed their rows are already in the index (written as pages arrive) but not
   * searchable yet: restrict the search to completed files, so those rows do not take places in the top k.
   */
  private whileIndexing(storeId: string): string[] | undefined {
    if (this.deps.storeFiles.counts(storeId).in_progress === 0) return undefined;
    return this.deps.storeFiles.all({ vector_store_id: storeId, status: "completed" }).map((m) => m.id);
  }

  private filteredFileIds(storeId: string, matches: AttributePredicate): string[] {
    return this.deps.storeFiles
      .all({ vector_store_id: storeId, status: "completed" })
      .filter((m) => matches(m.attributes))
      .map((m) => m.id);
  }

  /** One embedding per model per search, and none at all when the model cannot be reached. */
  private embedOnce(cache: Map<string, Promise<number[] | null>>, model: string, query: string, signal?: AbortSignal): Promise<number[] | null> {
    let vector = cache.get(model);
    if (!vector) {
      vector = this.deps
        .embedderFor(model)
        .embed([query], signal)
        .then((v) => v[0] ?? null)
        .catch(() => {
          // Stopped, not unreachable: the caller wants no answer at all, not a BM25-only one.
          signal?.throwIfAborted();
          return null;
        });
      cache.set(model, vector);
    }
    return vector;
  }

  /** Hits for files removed from the store since indexing are dropped (their chunks may linger briefly). */
  private describe(storeId: string, hit: SearchHit): StoreHit | null {
    const member = this.deps.storeFiles.find(storeId, hit.file_id);
    if (!member || member.status !== "completed") return null;
    const filename = this.deps.files.get(hit.file_id)?.filename ?? hit.file_id;
    return { ...hit, vector_store_id: storeId, filename, attributes: member.attributes };
  }
}
