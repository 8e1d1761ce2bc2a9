/**
 * Re-ranks BM25's best hits by how close together they hold the query's words. BM25 scores each word alone:
 * "heat transfer in a laminar boundary layer" ranks a chunk that says "boundary layer" the same as one with
 * "boundary" and "layer" pages apart. Counting, for each pair of consecutive query words, the times they
 * appear within a few words of each other (a term-dependence feature, as in Metzler & Croft's sequential
 * dependence model) and adding it to the normalised BM25 score (after query expansion) lifts the chunks that use the query's phrases:
 * on Cranfield nDCG@10 +0.005 to +0.01 over BM25 with query expansion (bench/retrieval-cranfield.ts).
 *
 * Pure text work on the hits already fetched (no index lookup): at 100k chunks its cost did not show beside the
 * searches (bench/search-latency.ts p95 32.0 ms without it, 33.1 ms with, within the run-to-run spread; measured
 * when query expansion still made a second BM25 search).
 */
import type { Ranked } from "./fusion.js";
import { contentWords } from "./words.js";

export interface ProximityOptions {
  /** Hits re-ranked (the rest keep their order below them). */
  depth: number;
  /** Two query words count as near when fewer than this many content words apart. */
  window: number;
  /** What one near pair adds (as log(1 + count), per consecutive query word pair) to a score of 0..1. */
  weight: number;
}

/**
 * Chosen on Cranfield by a sweep over the grid `bench/retrieval-cranfield.ts --sweep` runs (scored on the same
 * queries: optimistic).
 */
export const DEFAULT_PROXIMITY: ProximityOptions = { depth: 20, window: 10, weight: 0.04 };

/**
 * `hits` (best first, raw scores of one engine) re-ranked: each of the first `depth` scores `raw / best` plus
 * its proximity feature; returned with those scores as `raw`. `textOf` gives the text a hit was indexed with.
 */
export function proximityRerank<T>(query: string, hits: Array<Ranked<T>>, textOf: (item: T) => string, options: ProximityOptions = DEFAULT_PROXIMITY): Array<Ranked<T>> {
  const pairs = consecutivePairs(contentWords(query));
  const best = hits[0]?.raw ?? 0;
  if (pairs.length === 0 || best <= 0) return hits;
  const head = hits.slice(0, options.depth).map((h) => ({ ...h, raw: h.raw / best + options.weight * nearness(textOf(h.item), pairs, options.window) }));
  head.sort((a, b) => b.raw - a.raw);
  // Below the head, scores stay normalised the same way, so the list stays comparable as a whole.
  const tail = hits.slice(options.depth).map((h) => ({ ...h, raw: h.raw / best }));
  return [...head, ...tail];
}

/** Consecutive pairs of distinct query words ("boundary layer flow" → boundary·layer, layer·flow). */
function consecutivePairs(words: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < words.length; i++) if (words[i] !== words[i + 1]) pairs.push([words[i]!, words[i + 1]!]);
  return pairs;
}

/** Σ over the pairs of log(1 + times the two words occur fewer than `window` content words apart, either order). */
function nearness(text: string, pairs: Array<[string, string]>, window: number): number {
  const positions = new Map<string, number[]>();
  contentWords(text).forEach((w, i) => {
    const list = positions.get(w);
    if (list) list.push(i);
    else positions.set(w, [i]);
  });
  let feature = 0;
  for (const [a, b] of pairs) {
    const as = positions.get(a);
    const bs = positions.get(b);
    if (as && bs) feature += Math.log1p(nearCount(as, bs, window));
  }
  return feature;
}

/** Pairs (x in as, y in bs) with |x − y| < window; both lists ascending, so a sliding start keeps it linear. */
function nearCount(as: number[], bs: number[], window: number): number {
  let count = 0;
  let start = 0;
  for (const x of as) {
    while (start < bs.length && bs[start]! <= x - window) start++;
    for (let j = start; j < bs.length && bs[j]! < x + window; j++) count++;
  }
  return count;
}
