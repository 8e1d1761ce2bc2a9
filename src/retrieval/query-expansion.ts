/**
 * Pseudo-relevance feedback for BM25 (RM3-like): the first search's best chunks are taken as relevant, the words
 * that weigh most in them (each chunk's word frequencies, weighted by its share of the feedback's score) are
 * added to the query, and the query is searched again. It finds chunks that say the same thing in other words,
 * which BM25 alone misses: on Cranfield (bench/retrieval-cranfield.ts) nDCG@10 0.366 → 0.38–0.39.
 *
 * The second search is one MatchQuery over the query written `queryWeight` times and the added words once
 * (its ranking then blended with the first's, `firstPassWeight`):
 * LanceDB's BM25 counts a word repeated in the query, so that is the query's weight against the feedback. A
 * BooleanQuery of per-word boosts scored the same or better but ran 20× slower on a 100k-chunk store (no
 * pruning across its clauses), and each added word costs the search its postings (bench/search-latency.ts).
 *
 * Words are picked from raw chunk text, before LanceDB's analyzer: the stop list (words.ts) keeps function words
 * from taking the slots (the analyzer would drop them from the query anyway), and the second search's BM25
 * gives common words little weight by their idf, so no corpus statistics are needed here.
 */
import { contentWords } from "./words.js";

export interface ExpansionOptions {
  /** First-pass chunks taken as relevant. */
  feedbackChunks: number;
  /** Words added to the query. */
  terms: number;
  /** How many times the query's own words count against one count of each added word. */
  queryWeight: number;
  /**
   * The first search's share of the final score (each search's scores over its best, summed with this weight and
   * the rest): a chunk that has the query's own words keeps an edge over one found only through the added words.
   */
  firstPassWeight: number;
}

/**
 * Chosen with `bench/retrieval-cranfield.ts --sweep` (scored on the same queries: optimistic); 10 words keep the
 * 100k-chunk search within its 20 ms p95 (20 words scored a little better and did not).
 */
export const DEFAULT_EXPANSION: ExpansionOptions = { feedbackChunks: 10, terms: 10, queryWeight: 2, firstPassWeight: 0.35 };

/**
 * The second search's query text, from the first search's hits (best first); null when there is nothing to
 * learn from (fewer than two scored hits) or nothing to add.
 */
export function expandedQuery(query: string, hits: ReadonlyArray<{ text: string; score: number }>, options: ExpansionOptions = DEFAULT_EXPANSION): string | null {
  const feedback = hits.slice(0, options.feedbackChunks).filter((h) => h.score > 0);
  if (feedback.length < 2) return null; // one chunk is no evidence of what the query is about
  const asked = new Set(contentWords(query));
  const added = [...feedbackModel(feedback)]
    .filter(([w]) => !asked.has(w))
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.terms)
    .map(([w]) => w);
  if (added.length === 0) return null;
  return [...Array<string>(options.queryWeight).fill(query), ...added].join(" ");
}

/** P(w | feedback): each chunk's word frequencies, weighted by its share of the feedback's scores. */
function feedbackModel(chunks: ReadonlyArray<{ text: string; score: number }>): Map<string, number> {
  const total = chunks.reduce((sum, h) => sum + h.score, 0);
  const model = new Map<string, number>();
  for (const chunk of chunks) {
    const words = contentWords(chunk.text);
    for (const w of words) model.set(w, (model.get(w) ?? 0) + chunk.score / total / words.length); // P(d|q)·P(w|d)
  }
  return model;
}
