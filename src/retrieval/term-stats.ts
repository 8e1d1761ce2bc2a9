/**
 * How common each word is in a vector store, for the scoring done outside LanceDB (query expansion's
 * re-scoring of BM25's candidates, query-expansion.ts). LanceDB keeps its own document frequencies inside the
 * full-text index but does not expose them, so these are counted from the stored texts: every chunk of a small
 * store, or an even sample of a big one (common words, the ones an idf must push down, show in any sample;
 * rare words all get about the same high idf). Words are content words (words.ts), unstemmed.
 */
import { contentWords } from "./words.js";

export class TermStats {
  private readonly documentFrequency = new Map<string, number>();
  private totalWords = 0;
  /** Chunks counted. */
  chunks = 0;

  constructor(texts: Iterable<string> = []) {
    for (const text of texts) this.add(text);
  }

  add(text: string): void {
    const words = contentWords(text);
    this.chunks += 1;
    this.totalWords += words.length;
    for (const w of new Set(words)) this.documentFrequency.set(w, (this.documentFrequency.get(w) ?? 0) + 1);
  }

  /** BM25's idf (as Lucene and tantivy write it: never negative), from the counted chunks. */
  idf(word: string): number {
    const n = this.documentFrequency.get(word) ?? 0;
    return Math.log(1 + (this.chunks - n + 0.5) / (n + 0.5));
  }

  /** Mean chunk length in content words (1 when nothing is counted, so lengths divide safely). */
  averageLength(): number {
    return this.chunks === 0 || this.totalWords === 0 ? 1 : this.totalWords / this.chunks;
  }
}
