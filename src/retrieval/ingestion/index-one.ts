/**
 * One file's turn: its pages chunked, embedded with its store's embedding model and written, all but the last
 * batch, which is returned to be written with its group's (groups.ts).
 */
import type { VectorStoreFile } from "../../api/wire.js";
import type { ExtractedPage } from "../../files/extract-text.js";
import { ModelError, type Embedder } from "../../llm/chat-model.js";
import type { VectorStoreIndexRepo } from "../../store/vector-stores-repo.js";
import type { VectorIndex } from "../vector-index.js";
import { embedTexts, ingestPages, type IngestResult } from "./ingest-pages.js";

export interface IndexOneDeps {
  index: VectorIndex;
  indexSettings: VectorStoreIndexRepo;
  /** The configured embedding model, or null to build BM25-only stores. */
  embedder: Embedder | null;
  /** Embedder for a store recorded with another model (the configuration changed since it was built). */
  embedderFor(model: string): Embedder;
}

/** Chunks, embeds and indexes `pages` of `member` but the last batch (`held`); and the bytes of text stored. */
export async function indexOne(
  deps: IndexOneDeps,
  member: VectorStoreFile,
  fresh: boolean,
  signal: AbortSignal,
  pages: AsyncIterable<ExtractedPage>,
): Promise<{ usageBytes: number; held: IngestResult["held"] }> {
  const storeId = member.vector_store_id;
  const strategy = member.chunking_strategy.type === "static" ? member.chunking_strategy.static : null;
  const options = { maxTokens: strategy?.max_chunk_size_tokens ?? 800, overlapTokens: strategy?.chunk_overlap_tokens ?? 400 };
  // A re-add, or a crash after the index write but before the status update, would otherwise leave duplicates.
  if (!fresh) await deps.index.deleteFile(storeId, member.id);
  const decidingNow = () => deps.indexSettings.get(storeId) === null;
  let embedder = embedderOf(deps, storeId);
  // Called before each write of a batch. The store's first write creates its table, with or without
  // vectors: the choice is recorded right then, so a file failing later cannot leave a table that
  // disagrees with the store's recorded settings.
  const embed = async (texts: string[]): Promise<number[][] | null> => {
    signal.throwIfAborted();
    let vectors: number[][] | null = null;
    if (embedder) {
      try {
        vectors = await embedTexts(embedder, texts, { signal });
      } catch (err) {
        if (!decidingNow() || !isModelUnavailable(err)) throw err;
        // First write of a store and no embedding model reachable: build the store for BM25 alone.
        embedder = null;
      }
    }
    if (decidingNow()) deps.indexSettings.set(storeId, { embedding_model: embedder?.model ?? null, dims: vectors?.[0]?.length ?? null });
    return vectors;
  };
  // Pages are chunked, embedded and written while the PDF worker parses the next ones.
  const result = await ingestPages(pages, { index: deps.index, storeId, fileId: member.id, embed }, { ...options, holdLast: true });
  return { usageBytes: result.textBytes, held: result.held };
}

/** The store's embedder: the one its settings record, or the configured one for a store not built yet. */
function embedderOf(deps: IndexOneDeps, storeId: string): Embedder | null {
  const settings = deps.indexSettings.get(storeId);
  if (settings === null) return deps.embedder;
  if (settings.embedding_model === null) return null;
  return settings.embedding_model === deps.embedder?.model ? deps.embedder : deps.embedderFor(settings.embedding_model);
}

function isModelUnavailable(err: unknown): boolean {
  return err instanceof ModelError && (err.kind === "unreachable" || err.kind === "model_not_found");
}
