import type { AttributeFilter, VectorStoreSearchParams } from "../api/vector-stores.js";
import type { AssistantTool, FileSearchResult } from "../api/wire.js";
import type { KeyedCondition } from "../concurrency/keyed-condition.js";
import type { VectorStoreFilesRepo } from "../store/vector-stores-repo.js";
import type { StoreSearch } from "./store-search.js";
import type { VectorStoreService } from "./vector-store-service.js";

/**
 * Results the file_search tool gives a small local model by default. The hosted API used 20 for gpt-4-class
 * models; 20 chunks of 800 tokens do not fit an 8k context, so we default lower. `max_num_results` on the
 * tool overrides it.
 */
export const DEFAULT_TOOL_RESULTS = 5;
/** How long a run's file_search waits for files still being indexed (attached just before the run). */
const INGESTION_WAIT_MS = 120_000;

/** What one file_search call searches: tools/builtin-tool.ts's ToolScope has these fields. */
export interface SearchScope {
  vectorStoreIds: readonly string[];
  /** The tools as configured; file_search's entry carries max_num_results and the score threshold. */
  tools: readonly AssistantTool[];
  filters?: AttributeFilter | undefined;
}

/** The file_search tool of runs and responses, and the /vector_stores/{id}/search endpoint. */
export class FileSearchService {
  constructor(
    private readonly deps: {
      storeFiles: Pick<VectorStoreFilesRepo, "counts">;
      search: Pick<StoreSearch, "search">;
      stores: Pick<VectorStoreService, "exists" | "find" | "touch">;
      /** Notified with a store's id when files of it settle (the ingestor's onSettled). */
      settled: Pick<KeyedCondition<string>, "until">;
    },
  ) {}

  async searchEndpoint(storeId: string, p: VectorStoreSearchParams) {
    const queries = Array.isArray(p.query) ? p.query : [p.query];
    const hits = await this.deps.search
      .search([storeId], queries.join(" "), {
        limit: p.max_num_results ?? 10,
        scoreThreshold: p.ranking_options?.score_threshold ?? 0,
        filter: p.filters,
      })
      .catch((err: unknown) => {
        // A search racing a delete of the store finds its index files gone: answer the 404 a later search gets.
        this.deps.stores.find(storeId);
        throw err;
      });
    this.deps.stores.touch(storeId);
    return {
      object: "vector_store.search_results.page",
      search_query: queries,
      data: hits.map((h) => ({
        file_id: h.file_id,
        filename: h.filename,
        score: h.score,
        attributes: h.attributes,
        content: [{ type: "text", text: h.text }],
      })),
      has_more: false,
      next_page: null,
    };
  }

  /** One file_search call over the scope's stores (those that still exist), with its tool's options. */
  async search(scope: SearchScope, query: string, signal: AbortSignal): Promise<{ results: FileSearchResult[] }> {
    const storeIds = [...new Set(scope.vectorStoreIds)].filter((id) => this.deps.stores.exists(id));
    await this.waitForIngestion(storeIds, signal);
    const tool = scope.tools.find((t) => t.type === "file_search");
    const options = tool?.type === "file_search" ? tool.file_search : undefined;
    const hits = await this.deps.search.search(storeIds, query, {
      limit: options?.max_num_results ?? DEFAULT_TOOL_RESULTS,
      scoreThreshold: options?.ranking_options?.score_threshold ?? 0,
      ...(scope.filters ? { filter: scope.filters } : {}),
      signal, // a cancelled run stops embedding its query
    });
    for (const id of storeIds) this.deps.stores.touch(id);
    const results: FileSearchResult[] = hits.map((h) => ({
      file_id: h.file_id,
      file_name: h.filename,
      score: h.score,
      ...(h.page_start !== null ? { page: h.page_start } : {}),
      content: [{ type: "text", text: h.text }],
    }));
    return { results };
  }

  /**
   * Files attached moments before the run may still be indexing: answer from them, not without them. Checked
   * again each time files of one of the stores settle; after INGESTION_WAIT_MS the search goes on with what is
   * indexed. Rejects when the run is cancelled.
   */
  private async waitForIngestion(storeIds: string[], signal: AbortSignal): Promise<void> {
    const indexed = () => storeIds.every((id) => this.deps.storeFiles.counts(id).in_progress === 0);
    await this.deps.settled.until(storeIds, indexed, { signal, timeoutMs: INGESTION_WAIT_MS });
  }
}
