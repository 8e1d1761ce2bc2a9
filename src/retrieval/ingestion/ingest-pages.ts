/**
 * From extracted pages to searchable chunks: chunk (as pages arrive), embed in batches, add to the index.
 * The ingestor runs ingestPages once per file; tests and benchmarks use indexFile too.
 */
import type { Embedder } from "../../llm/chat-model.js";
import type { Chunk, ChunkOptions, PageText } from "../chunker.js";
import { documentTitle } from "../document-title.js";
import { chunkRows, type ChunkRow, type VectorIndex } from "../vector-index.js";

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
 * Chunks `pages` and adds them to `storeId` as file `fileId` (ingestPages over pages already at hand).
 * `embedder` null = BM25-only store. Throws whatever the embedder or index throws (ModelError, InvalidIdError).
 */
export async function indexFile(
  index: VectorIndex,
  embedder: Embedder | null,
  storeId: string,
  fileId: string,
  pages: PageText[],
  options: IndexFileOptions = {},
): Promise<IndexFileResult> {
  const embed = async (texts: string[]) => (embedder ? embedTexts(embedder, texts, options) : null);
  const { chunks, tokens, dims } = await ingestPages(asyncOf(pages), { index, storeId, fileId, embed }, options);
  return { chunks, tokens, dims };
}

async function* asyncOf<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

export interface IngestTarget {
  index: VectorIndex;
  storeId: string;
  fileId: string;
  /**
   * Vectors for a batch of chunk texts, or null to write it without (BM25 only). Called batch after batch, in
   * order, each after the previous batch's write: the first call may decide the store is BM25 only.
   */
  embed(texts: string[]): Promise<number[][] | null>;
}

export interface IngestResult {
  chunks: number;
  /** Sum of the chunks' token counts; text in an overlap is counted in each chunk holding it. */
  tokens: number;
  /** UTF-8 bytes of all pages' text: the file's `usage_bytes`. */
  textBytes: number;
  /** Dimension of the vectors written; null when written without (or no chunk). */
  dims: number | null;
  /**
   * With `holdLast`: the last batch, embedded but not written — the caller writes it (with `partial` false:
   * it completes the file's indexing), possibly together with other files' last batches. Null without.
   */
  held: { rows: ChunkRow[]; vectors: number[][] | null } | null;
}

export interface IngestOptions extends ChunkOptions {
  /** Leave the last batch to the caller (IngestResult.held) instead of writing it. */
  holdLast?: boolean;
}

// Chunks per index write (at least; a page may bring a few more) while pages still arrive: each write has a
// fixed cost (~5 ms) and leaves a fragment.
const WRITE_BATCH = 64;

/**
 * Chunks pages as they arrive and writes the chunks to the index meanwhile, in batches (embedded first), so
 * that when the last page comes only the last batch and the full-text index are left to do. Throws whatever
 * `pages`, `embed` or the index throw; rows already written stay (the caller deletes the file's chunks).
 */
export async function ingestPages(pages: AsyncIterable<PageText>, target: IngestTarget, options: IngestOptions = {}): Promise<IngestResult> {
  const { Chunker } = await loadChunker();
  const chunker = new Chunker(options);
  const result: IngestResult = { chunks: 0, tokens: 0, textBytes: 0, dims: null, held: null };
  let batch: Chunk[] = [];
  // Searched with each chunk (ChunkRow.context); known from the first page with text, before the first write.
  let title: string | null | undefined;
  let writes: Promise<void> = Promise.resolve();
  // A holder, not a `let`: it is set inside the write chain, which TypeScript's narrowing does not see.
  const failure: { failed: boolean; error?: unknown } = { failed: false };
  const write = (chunks: Chunk[], partial: boolean) => {
    writes = writes.then(async () => {
      if (failure.failed) return;
      const vectors = chunks.length > 0 ? await target.embed(chunks.map((c) => c.text)) : null;
      result.dims ??= vectors?.[0]?.length ?? null;
      const rows = chunkRows(target.fileId, chunks, title);
      if (!partial && options.holdLast) result.held = { rows, vectors };
      else await target.index.add(target.storeId, rows, vectors, { partial });
    });
    // Remember the first failure; later writes are skipped and the next page read stops the parse.
    writes = writes.catch((error: unknown) => {
      if (!failure.failed) Object.assign(failure, { failed: true, error });
    });
  };
  const take = (chunks: Chunk[]) => {
    for (const chunk of chunks) {
      batch.push(chunk);
      result.chunks += 1;
      result.tokens += chunk.tokens;
    }
    if (batch.length >= WRITE_BATCH) {
      write(batch, true);
      batch = [];
    }
  };
  try {
    for await (const page of pages) {
      if (failure.failed) break;
      result.textBytes += Buffer.byteLength(page.text);
      // The first page with text; a slide or sheet (standalone) starts with its own name, not the document's.
      if (title === undefined && /\S/.test(page.text)) title = page.standalone ? null : documentTitle(page.text);
      take(chunker.push(page));
    }
  } catch (error) {
    // The pages failed (or were stopped): cancel the writes still queued and let the one running finish, so
    // that nothing of this file is written after the caller deletes what was.
    if (!failure.failed) Object.assign(failure, { failed: true, error });
  }
  if (!failure.failed) take(chunker.finish());
  if (!failure.failed && result.chunks > 0) write(batch, false);
  await writes;
  if (failure.failed) throw failure.error;
  return result;
}

// Loaded on first use: the tokenizer's tables cost ~25 MB, which a server that never ingests need not pay.
const loadChunker = () => import("../chunker.js");

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
