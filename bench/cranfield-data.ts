/**
 * The Cranfield collection (bench/data/cranfield, see its README) and its nDCG@10, shared by
 * bench/retrieval-cranfield.ts (the index alone) and bench/retrieval-quality.ts (PDFs through the HTTP API).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const CRANFIELD = new URL("./data/cranfield/", import.meta.url).pathname;
/** The README's reference: plain BM25 (k1=0.9, b=0.4, stemming, stop words) on title+text. */
export const REFERENCE_BM25_NDCG = 0.351;

export interface Doc {
  id: string;
  title: string;
  text: string;
}

export interface Query {
  id: string;
  text: string;
}

/** Relevance grades 0..4 per query id, per doc id. */
export type Qrels = Map<string, Map<string, number>>;

export const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

/**
 * A doc as the paper prints it: the title, a paragraph of its own, then the abstract (the corpus' text starts with the
 * title, run into the abstract).
 */
export function asDocument(d: Doc): string {
  const body = d.text.startsWith(d.title) ? d.text.slice(d.title.length).trim() : d.text;
  return `${d.title}\n\n${body}`;
}

/** All 1,400 documents (two of them, 471 and 995, are empty). */
export const readCorpus = (): Doc[] => readJsonl<Doc>(join(CRANFIELD, "corpus.jsonl"));

export const readQueries = (): Query[] => readJsonl<Query>(join(CRANFIELD, "queries.jsonl"));

export function readQrels(): Qrels {
  const qrels: Qrels = new Map();
  const lines = readFileSync(join(CRANFIELD, "qrels.tsv"), "utf8").trim().split("\n").slice(1);
  for (const line of lines) {
    const [q, d, rel] = line.split("\t");
    if (!q || !d || rel === undefined) continue;
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, Number(rel));
  }
  return qrels;
}

/** nDCG@10 with linear gains (the relevance grades 0..4), as in the collection's README. */
export function ndcgAt10(ranking: string[], judged: Map<string, number>): number {
  const dcg = (gains: number[]) => gains.slice(0, 10).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  const ideal = dcg([...judged.values()].sort((a, b) => b - a));
  return ideal > 0 ? dcg(ranking.map((d) => judged.get(d) ?? 0)) / ideal : 0;
}

/** Mean nDCG@10 over `queries`, given each query's ranked doc ids (duplicates past the first are ignored). */
export function meanNdcg(queries: Query[], rankings: Map<string, string[]>, qrels: Qrels): number {
  let sum = 0;
  for (const q of queries) sum += ndcgAt10([...new Set(rankings.get(q.id) ?? [])], qrels.get(q.id) ?? new Map());
  return sum / queries.length;
}
