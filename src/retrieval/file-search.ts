import type { VectorStoreSearchParams } from "../api/vector-stores.js";
import type { FileSearchResult, Run } from "../api/wire.js";
import type { KeyedCondition } from "../concurrency/keyed-condition.js";
import type { Repos } from "../store/repos.js";
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

/** The file_search tool of runs and the /vector_stores/{id}/search endpoint. */
export class FileSearchService {
  constructor(
    private readonly deps: {
      repos: Pick<Repos, "assistants" | "threads">;
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

  /** Runs one file_search call for a run over the assistant's and the thread's vector stores. */
  async forRun(run: Run, query: string, signal: AbortSignal): Promise<{ results: FileSearchResult[] }> {
    const storeIds = this.storeIdsOf(run);
    await this.waitForIngestion(storeIds, signal);
    const tool = run.tools.find((t) => t.type === "file_search");
    const options = tool?.type === "file_search" ? tool.file_search : undefined;
    const hits = await this.deps.search.search(storeIds, query, {
      limit: options?.max_num_results ?? DEFAULT_TOOL_RESULTS,
      scoreThreshold: options?.ranking_options?.score_threshold ?? 0,
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

  storeIdsOf(run: Run): string[] {
    const assistant = this.deps.repos.assistants.get(run.assistant_id);
    const thread = this.deps.repos.threads.get(run.thread_id);
    const ids = [
      ...(assistant?.tool_resources?.file_search?.vector_store_ids ?? []),
      ...(thread?.tool_resources?.file_search?.vector_store_ids ?? []),
    ];
    return [...new Set(ids)].filter((id) => this.deps.stores.exists(id));
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
