/**
 * Turning raw ranked lists into 0..1 scores. Pure functions, shared by every VectorIndex implementation so
 * that scores mean the same thing whichever engine produced the lists.
 */

/** A ranked candidate carrying its engine score (BM25 score or cosine distance). */
export interface Ranked<T> {
  key: string;
  item: T;
  raw: number;
}

export interface Scored<T> {
  item: T;
  score: number;
}

/**
 * Reciprocal rank fusion (Cormack et al. 2009): score = Σ 1/(k + rank) over the lists a candidate appears in,
 * divided by lists.length/(k + 1) so that rank 1 in every list scores exactly 1. k=60 is the paper's value;
 * it damps the influence of the top few ranks so one list cannot dominate.
 */
export function reciprocalRankFusion<T>(lists: Array<Array<Ranked<T>>>, limit: number, k = 60): Array<Scored<T>> {
  const fused = new Map<string, Scored<T>>();
  for (const list of lists) {
    list.forEach((cand, i) => {
      const entry = fused.get(cand.key) ?? { item: cand.item, score: 0 };
      entry.score += 1 / (k + i + 1);
      fused.set(cand.key, entry);
    });
  }
  const best = lists.length / (k + 1);
  // Map iteration order is first-seen order, and sort is stable: ties keep the first list's order.
  return [...fused.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((s) => ({ item: s.item, score: Math.min(1, s.score / best) }));
}

/** BM25 scores have no upper bound: divide by the best hit's so the top scores 1 and ratios are kept. */
export function normaliseBm25<T>(list: Array<Ranked<T>>, limit: number): Array<Scored<T>> {
  const top = list[0]?.raw ?? 0;
  return list.slice(0, limit).map((c) => ({ item: c.item, score: top > 0 ? c.raw / top : 0 }));
}

/** Cosine distance (1 − cos) → cosine similarity, clamped to 0..1 (opposite directions are no match at all). */
export function normaliseCosine<T>(list: Array<Ranked<T>>, limit: number): Array<Scored<T>> {
  return list.slice(0, limit).map((c) => ({ item: c.item, score: Math.min(1, Math.max(0, 1 - c.raw)) }));
}
