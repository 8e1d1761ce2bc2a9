/**
 * Pseudo-relevance feedback for BM25 (RM3-like): the first search's best chunks are taken as relevant, the words
 * that weigh most in them (each chunk's word frequencies, weighted by its share of the feedback's score) are
 * added to the query, and the candidates are scored again with them. It lifts chunks that say the same thing in
 * other words, which BM25 alone ranks low: on Cranfield (bench/retrieval-cranfield.ts) nDCG@10 0.366 → 0.388
 * (0.411 with titles and proximity).
 *
 * The re-scoring is done here, on the first search's candidates, not by a second LanceDB search: that search
 * (the query and ten added words, each with its postings) doubled the search time of a 100k-chunk store and took
 * its p95 past 20 ms (bench/search-latency.ts), while re-scoring the first 50 candidates ranked as well on
 * Cranfield. The added words are scored with BM25 over the store's word statistics (term-stats.ts); the query's
 * words keep LanceDB's BM25 score. Only when the query's own words match fewer chunks than asked for does a
 * second search run, for the added words alone: then it is what finds the chunks that lack the query's words.
 */
import type { Ranked } from "./fusion.js";
import type { TermStats } from "./term-stats.js";
import { contentWords } from "./words.js";

export interface ExpansionOptions {
  /** First-pass chunks taken as relevant. */
  feedbackChunks: number;
  /** Words added to the query. */
  terms: number;
  /** How many times the query's own words count against one count of each added word. */
  queryWeight: number;
  /**
   * The first search's share of the final score (each score over its best, summed with this weight and the
   * rest): a chunk that has the query's own words keeps an edge over one found only through the added words.
   */
  firstPassWeight: number;
  /** First-pass candidates re-scored. */
  candidates: number;
}

/**
 * Chosen with `bench/retrieval-cranfield.ts --sweep` (scored on the same queries: optimistic): 0.411, on a
 * plateau of 0.405–0.412 for 20–30 words, the query ×0.5–2, its first score 0.2–0.35. Re-scoring costs no
 * postings, so the added words are no longer held to 10 for latency. Of the plateau, the query's words counting
 * twice, so that they weigh most. Each added word counts by its weight in the feedback: counted alike, a chunk
 * holding many rare added words once each passed the one holding the query's two words
 * (test/contract/vector-stores-ranking.test.ts, "lease deposit").
 */
export const DEFAULT_EXPANSION: ExpansionOptions = { feedbackChunks: 10, terms: 30, queryWeight: 2, firstPassWeight: 0.35, candidates: 50 };

// BM25's usual constants (LanceDB's too), for the added words.
const K1 = 1.2;
const B = 0.75;

/**
 * The words to add, from the first search's hits (best first, LanceDB's scores): none when there is nothing to
 * learn from (fewer than two scored hits). Function words and the query's own words never take a slot. Picked by
 * P(w | feedback) alone: weighting that by idf as well scored lower on Cranfield (0.400 and 0.395 at idf¹ and
 * idf², against 0.407), the re-scoring's idf already discounting common words.
 */
export function expansionTerms(query: string, hits: ReadonlyArray<{ text: string; score: number }>, options: ExpansionOptions): AddedTerm[] {
  const feedback = hits.slice(0, options.feedbackChunks).filter((h) => h.score > 0);
  if (feedback.length < 2) return []; // one chunk is no evidence of what the query is about
  const asked = new Set(contentWords(query));
  const picked = [...feedbackModel(feedback)]
    .filter(([w]) => !asked.has(w))
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.terms);
  const top = picked[0]?.[1] ?? 1;
  return picked.map(([word, p]) => ({ word, weight: p / top }));
}

/** A word added to the query, and its weight: its P(w | feedback) over the heaviest added word's. */
export interface AddedTerm {
  word: string;
  weight: number;
}

/**
 * `candidates` scored again: the query's words as LanceDB scored them (`raw`; 0 for a candidate found by the
 * added words alone), counted `queryWeight` times, plus the added words' BM25, blended with the first score
 * (`firstPassWeight`). Returned best first, with that blend as `raw`.
 */
export function rescore<T>(candidates: Array<Ranked<T>>, added: AddedTerm[], textOf: (item: T) => string, stats: TermStats, options: ExpansionOptions): Array<Ranked<T>> {
  if (added.length === 0 || candidates.length === 0) return candidates;
  const idf = added.map((t) => t.weight * stats.idf(t.word));
  const averageLength = stats.averageLength();
  const expanded = candidates.map((c) => options.queryWeight * c.raw + addedScore(contentWords(textOf(c.item)), added, idf, averageLength));
  const firstBest = Math.max(...candidates.map((c) => c.raw));
  const expandedBest = Math.max(...expanded);
  const share = (x: number, best: number) => (best > 0 ? x / best : 0);
  return candidates
    .map((c, i) => ({ ...c, raw: options.firstPassWeight * share(c.raw, firstBest) + (1 - options.firstPassWeight) * share(expanded[i]!, expandedBest) }))
    .sort((a, b) => b.raw - a.raw);
}

/** Σ over the added words of weight · idf · BM25's saturated term frequency in `words`. */
function addedScore(words: string[], added: AddedTerm[], weightedIdf: number[], averageLength: number): number {
  const tf = new Map<string, number>();
  for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
  const norm = K1 * (1 - B + (B * words.length) / averageLength);
  let score = 0;
  added.forEach(({ word }, i) => {
    const f = tf.get(word);
    if (f) score += (weightedIdf[i]! * f * (K1 + 1)) / (f + norm);
  });
  return score;
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
