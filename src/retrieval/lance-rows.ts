/**
 * Pure helpers of the LanceDB index: checking a batch's vectors, building the file-id filter, and turning
 * result rows into scored hits.
 */
import { normaliseBm25, normaliseCosine, reciprocalRankFusion, type Ranked, type Scored } from "./fusion.js";
import { checkFileId, type ChunkRow, type SearchHit } from "./vector-index.js";

/**
 * A hit before scoring. Its `text` is the text as indexed: the row's context (the document's title, see
 * ChunkRow.context) then the chunk from `contextChars` on; toHits() returns the chunk alone.
 */
export type Hit = Omit<SearchHit, "score"> & { contextChars: number };

/** Between a row's context and its chunk in the `text` column. */
const CONTEXT_SEPARATOR = "\n\n";

/** A row's `text` column and its `context_chars` (0: no context). */
export function storedText(row: Pick<ChunkRow, "text" | "context">): { text: string; context_chars: number } {
  if (!row.context) return { text: row.text, context_chars: 0 };
  const prefix = row.context + CONTEXT_SEPARATOR;
  return { text: prefix + row.text, context_chars: prefix.length };
}

/** The vector dimension of a batch (null for none); throws on a count, dimension or value mismatch. */
export function checkVectors(rowCount: number, vectors: number[][] | null): number | null {
  if (vectors === null) return null;
  if (vectors.length !== rowCount) throw new Error(`got ${vectors.length} vectors for ${rowCount} rows`);
  const dims = vectors[0]?.length ?? 0;
  for (const v of vectors) {
    if (v.length !== dims || dims === 0) throw new Error("vectors must all have the same, non-zero dimension");
    if (!v.every(Number.isFinite)) throw new Error("vectors must contain finite numbers only");
  }
  return rowCount === 0 ? null : dims;
}

/** SQL filter for `fileIds`: null = no filter, false = matches nothing. Ids are validated, never pasted raw. */
export function fileFilter(fileIds: string[] | undefined): string | null | false {
  if (fileIds === undefined) return null;
  if (fileIds.length === 0) return false;
  const ids = [...new Set(fileIds.map(checkFileId))];
  return `file_id IN (${ids.map((id) => `'${id}'`).join(", ")})`;
}

export function ranked(rows: Array<Record<string, unknown>>, scoreColumn: "_score" | "_distance"): Array<Ranked<Hit>> {
  return rows.map((r) => ({
    key: String(r.chunk_id),
    raw: Number(r[scoreColumn]),
    item: {
      file_id: String(r.file_id),
      chunk_index: Number(r.chunk_index),
      page_start: r.page_start == null ? null : Number(r.page_start),
      page_end: r.page_end == null ? null : Number(r.page_end),
      text: String(r.text),
      contextChars: Number(r.context_chars ?? 0),
    },
  }));
}

export function fuse(bm25: Array<Ranked<Hit>> | null, dense: Array<Ranked<Hit>> | null, limit: number, k: number): Array<Scored<Hit>> {
  if (bm25 && dense) return reciprocalRankFusion([bm25, dense], limit, k);
  if (bm25) return normaliseBm25(bm25, limit);
  if (dense) return normaliseCosine(dense, limit);
  return [];
}

export function toHits(scored: Array<Scored<Hit>>): SearchHit[] {
  return scored.map(({ item: { contextChars, ...hit }, score }) => ({ ...hit, text: hit.text.slice(contextChars), score }));
}

/** A stored row as a ChunkRow again: the chunk's own text, and its context when it has one. */
export function toChunkRow(chunkId: string, { contextChars, ...hit }: Hit): ChunkRow {
  const row: ChunkRow = { chunk_id: chunkId, ...hit, text: hit.text.slice(contextChars) };
  if (contextChars > 0) row.context = hit.text.slice(0, contextChars - CONTEXT_SEPARATOR.length);
  return row;
}
