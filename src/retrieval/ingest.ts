/**
 * From extracted pages to searchable chunks: chunk (as pages arrive), embed in batches, add to the index in
 * one write. The ingestor runs this once per file; tests and benchmarks use it too.
 */
import type { Embedder } from "../llm/chat-model.js";
import type { Chunk, ChunkOptions, PageText } from "./chunker.js";
import { chunkRows, type VectorIndex } from "./vector-index.js";

export interface IndexFileOptions extends ChunkOptions {
  /** Texts per embed() call: Ollama embeds a batch in one request; smaller batches abort sooner. */
  embedBatchSize?: number;
  signal?: AbortSignal;
}

export interface IndexFileResult {
  chunks: number;
  /** Sum of the chunks' token counts; text in an overlap is counted in each chunk holding it. */
  tokens: number;
  /** Embedding dimension used, null for BM25 only (or no chunk). */
  dims: number | null;
}

/**
 * Chunks `pages` and adds them to `storeId` as file `fileId`. `embedder` null = BM25-only store.
 * Throws whatever the embedder or index throws (ModelError, InvalidIdError); nothing is added then.
 */
export async function indexFile(
  index: VectorIndex,
  embedder: Embedder | null,
  storeId: string,
  fileId: string,
  pages: PageText[],
  options: IndexFileOptions = {},
): Promise<IndexFileResult> {
  const { chunkPages } = await loadChunker();
  return indexChunks(index, embedder, storeId, fileId, chunkPages(pages, options), options);
}

export interface StreamedChunks {
  chunks: Chunk[];
  /** UTF-8 bytes of all pages' text: the file's `usage_bytes`. */
  textBytes: number;
}

/**
 * Chunks pages while they are still being read: each page is chunked as it arrives, so when the last page
 * comes only the text after the last emitted chunk is left to do. Throws whatever `pages` throws.
 */
export async function chunkStream(pages: AsyncIterable<PageText>, options: ChunkOptions = {}): Promise<StreamedChunks> {
  const { Chunker } = await loadChunker();
  const chunker = new Chunker(options);
  const chunks: Chunk[] = [];
  let textBytes = 0;
  for await (const page of pages) {
    textBytes += Buffer.byteLength(page.text);
    for (const chunk of chunker.push(page)) chunks.push(chunk);
  }
  for (const chunk of chunker.finish()) chunks.push(chunk);
  return { chunks, textBytes };
}

/** Embeds `chunks` (unless BM25 only) and adds them to the index in one write. */
export async function indexChunks(
  index: VectorIndex,
  embedder: Embedder | null,
  storeId: string,
  fileId: string,
  chunks: Chunk[],
  options: IndexFileOptions = {},
): Promise<IndexFileResult> {
  if (chunks.length === 0) return { chunks: 0, tokens: 0, dims: null };
  const texts = chunks.map((c) => c.text);
  const vectors = embedder ? await embedTexts(embedder, texts, options) : null;
  await index.add(storeId, chunkRows(fileId, chunks), vectors);
  return { chunks: chunks.length, tokens: chunks.reduce((sum, c) => sum + c.tokens, 0), dims: vectors?.[0]?.length ?? null };
}

// Loaded on first use: the tokenizer's tables cost ~25 MB, which a server that never ingests need not pay.
const loadChunker = () => import("./chunker.js");

/** Embeds `texts` in batches, in order; checks the embedder returned one vector per text. */
export async function embedTexts(
  embedder: Embedder,
  texts: string[],
  options: { embedBatchSize?: number; signal?: AbortSignal } = {},
): Promise<number[][]> {
  const size = Math.max(1, options.embedBatchSize ?? 32);
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += size) {
    options.signal?.throwIfAborted();
    const batch = texts.slice(i, i + size);
    const out = await embedder.embed(batch, options.signal);
    if (out.length !== batch.length) {
      throw new Error(`embedding model ${embedder.model} returned ${out.length} vectors for ${batch.length} texts`);
    }
    vectors.push(...out);
  }
  return vectors;
}
