/**
 * Token-based chunking with OpenAI's static-chunking parameters (max_chunk_size_tokens, chunk_overlap_tokens).
 *
 * Tokens are cl100k_base (gpt-tokenizer): the encoding of OpenAI's embedding models (text-embedding-3-*),
 * so "800 tokens" means what an OpenAI client expects. It also counts more tokens than o200k on non-English
 * text (German lecture notes: 66k vs 62k), which keeps chunks safely inside small embedding-model contexts.
 *
 * Speed: each page is tokenised once, in segments that every slice of it counts the same way (PageCounter); a
 * sentence's count, and an emitted chunk's exact count, are then sums of those plus the few words at their
 * edges, instead of tokenising every sentence and every chunk again (each text sits in two chunks).
 */
import { countTokens } from "gpt-tokenizer/encoding/cl100k_base";

/** Input page: structurally the same as files/ExtractedPage (retrieval does not import files/). */
export interface PageText {
  page: number | null;
  text: string;
  /** A slide or sheet: no chunk joins its text with a page of another number (see files/ExtractedPage). */
  standalone?: boolean;
}

export interface Chunk {
  index: number;
  text: string;
  /** First and last page the chunk's text comes from; null for formats without pages. */
  page_start: number | null;
  page_end: number | null;
  /** Exact cl100k_base token count of `text`. */
  tokens: number;
}

export interface ChunkOptions {
  /** 100..4096, validated by the caller's schema. Default 800 (OpenAI's default). */
  maxTokens?: number;
  /** 0..maxTokens/2, validated by the caller's schema. Default 400 (OpenAI's default). */
  overlapTokens?: number;
}

// Strength of the boundary after a piece: a chunk prefers to end at the strongest boundary available.
const Break = { Word: 0, Line: 1, Sentence: 2, Paragraph: 3 } as const;
type Break = (typeof Break)[keyof typeof Break];

/** A run of text inside one page: `[start, end)` offsets into that page's text. */
interface Unit {
  pageIdx: number;
  start: number;
  end: number;
  tokens: number;
  brk: Break;
}

// User files may contain "<|endoftext|>" and friends: count them as ordinary text, never throw.
const PLAIN = { disallowedSpecial: new Set<string>() };
const tokensOf = (text: string): number => countTokens(text, PLAIN);

// A chunk ending at a weak boundary is fine once it is this full; below it we keep looking for a better cut.
const MIN_FILL = 0.6;

/**
 * Splits pages into overlapping chunks of at most `maxTokens` tokens. Chunks end at a paragraph break when
 * one falls in the last 40% of the chunk, else at a sentence end, else a line end, else between words.
 * The overlap is whole units (sentences or smaller pieces) up to `overlapTokens`, so it may be a little less.
 */
export function chunkPages(pages: PageText[], options: ChunkOptions = {}): Chunk[] {
  const chunker = new Chunker(options);
  const chunks: Chunk[] = [];
  for (const page of pages) for (const chunk of chunker.push(page)) chunks.push(chunk);
  for (const chunk of chunker.finish()) chunks.push(chunk);
  return chunks;
}

/**
 * chunkPages one page at a time, with exactly its result: a chunk is emitted as soon as the pages so far
 * decide it (its end is chosen only once text past `maxTokens` is known), so chunking keeps pace with a PDF
 * parser that delivers pages one by one instead of waiting for the last one.
 */
export class Chunker {
  private readonly pages: PageText[] = [];
  private readonly counters: PageCounter[] = [];
  private readonly units: Unit[] = [];
  private readonly maxTokens: number;
  private readonly overlapTokens: number;
  private readonly cap: number;
  private start = 0;
  private covered = 0; // units before this index are already in some chunk
  private emitted = 0;

  constructor(options: ChunkOptions = {}) {
    this.maxTokens = options.maxTokens ?? 800;
    this.overlapTokens = options.overlapTokens ?? 400;
    // Pieces capped at a quarter of a chunk: overlap (≤ half) plus one new piece always fits, so every chunk
    // brings new text and the loop always advances.
    this.cap = Math.max(1, Math.floor(this.maxTokens / 4));
  }

  /** Adds the next page; returns the chunks it completed (often none). */
  push(page: PageText): Chunk[] {
    const previous = this.pages.at(-1);
    // A slide or sheet starts its own chunks: the text so far is chunked to its end, with no overlap into it.
    const cut = previous !== undefined && (page.standalone || previous.standalone) && page.page !== previous.page;
    const before = cut ? this.emit(true) : [];
    if (cut) this.start = this.covered = this.units.length;
    this.pages.push(page);
    const counter = new PageCounter(page.text);
    this.counters.push(counter);
    // A loop, not push(...units): one "page" of a large text file has more units than a call may take arguments.
    for (const unit of segmentPage(counter, this.pages.length - 1, this.cap)) this.units.push(unit);
    return before.length ? [...before, ...this.emit(false)] : this.emit(false);
  }

  /** No more pages: returns the remaining chunks. */
  finish(): Chunk[] {
    return this.emit(true);
  }

  private emit(final: boolean): Chunk[] {
    const { pages, units, maxTokens, counters } = this;
    const out: Chunk[] = [];
    let { start, covered } = this;
    while (covered < units.length) {
      let end = chooseEnd(units, start, covered, maxTokens);
      // Everything left fits in this chunk: the next page may still extend it, or move its best cut.
      if (end === units.length && !final) break;
      let tokens = countRendered(counters, units, start, end);
      // Summed piece counts can differ from the joined text's count by a few tokens; fix an overshoot exactly.
      while (tokens > maxTokens && (end - 1 > Math.max(covered, start) || start < covered)) {
        [start, end] = shrink(units, start, end, covered, tokens - maxTokens);
        tokens = countRendered(counters, units, start, end);
      }
      out.push(makeChunk(this.emitted++, render(pages, units, start, end), tokens, pages, units, start, end));
      covered = end;
      start = overlapStart(units, start, end, this.overlapTokens);
    }
    this.start = start;
    this.covered = covered;
    return out;
  }
}

/** Exclusive end index of the chunk starting at `start`: as many units as fit, cut at the best boundary. */
function chooseEnd(units: Unit[], start: number, covered: number, maxTokens: number): number {
  let sum = 0;
  let best = -1;
  let bestBrk = -1;
  let end = start;
  for (; end < units.length; end++) {
    const unit = units[end]!;
    if (sum + unit.tokens > maxTokens && end > covered) break;
    sum += unit.tokens;
    // Candidate cut after this unit: it must add new text and fill the chunk enough.
    if (end >= covered && sum >= maxTokens * MIN_FILL && unit.brk >= bestBrk) {
      best = end + 1;
      bestBrk = unit.brk;
    }
  }
  if (end === units.length) return end; // the rest fits: no reason to cut early
  return best > 0 ? best : end;
}

/** Drops units worth at least `excess` tokens: from the end while new text remains, else from the overlap. */
function shrink(units: Unit[], start: number, end: number, covered: number, excess: number): [number, number] {
  let dropped = 0;
  while (dropped < excess && end - 1 > Math.max(covered, start)) dropped += units[--end]!.tokens;
  while (dropped < excess && start < covered) dropped += units[start++]!.tokens;
  return [start, end];
}

/** Start of the next chunk: walk back from `end` over whole units while they fit in the overlap budget. */
function overlapStart(units: Unit[], start: number, end: number, overlapTokens: number): number {
  let next = end;
  let sum = 0;
  while (next - 1 > start && sum + units[next - 1]!.tokens <= overlapTokens) {
    sum += units[next - 1]!.tokens;
    next -= 1;
  }
  return next;
}

/** The slices a chunk of units `[start, end)` is made of: one per page, as `render` joins them. */
function* slices(units: Unit[], start: number, end: number): Generator<{ pageIdx: number; from: number; to: number }> {
  let i = start;
  while (i < end) {
    const first = units[i]!;
    let last = first;
    // Consecutive units of one page are a single slice: the original whitespace and line breaks survive.
    while (i + 1 < end && units[i + 1]!.pageIdx === first.pageIdx) last = units[++i]!;
    yield { pageIdx: first.pageIdx, from: first.start, to: last.end };
    i += 1;
  }
}

const PAGE_JOIN = "\n\n";

function render(pages: PageText[], units: Unit[], start: number, end: number): string {
  const parts: string[] = [];
  for (const { pageIdx, from, to } of slices(units, start, end)) parts.push(pages[pageIdx]!.text.slice(from, to));
  return parts.join(PAGE_JOIN);
}

/** The exact token count of `render(pages, units, start, end)`, from the pages' counters. */
function countRendered(counters: PageCounter[], units: Unit[], start: number, end: number): number {
  const parts: CountedSlice[] = [];
  for (const { pageIdx, from, to } of slices(units, start, end)) parts.push({ counter: counters[pageIdx]!, from, to });
  return countJoined(parts);
}

interface CountedSlice {
  counter: PageCounter;
  from: number;
  to: number;
}

/** The exact token count of slices of pages joined by PAGE_JOIN (one slice: just that slice). */
function countJoined(parts: CountedSlice[]): number {
  let tokens = 0;
  // Text not yet counted, since the last boundary every segmentation shares: a slice's edges, and the words
  // around a page join.
  let pending = "";
  let first = true;
  for (const { counter, from, to } of parts) {
    if (!first) pending += PAGE_JOIN;
    first = false;
    const inner = counter.boundsWithin(from, to);
    if (inner === null) {
      pending += counter.text.slice(from, to);
      continue;
    }
    tokens += tokensOf(pending + counter.text.slice(from, inner.first)) + counter.between(inner.firstIdx, inner.lastIdx);
    pending = counter.text.slice(inner.last, to);
  }
  return tokens + tokensOf(pending);
}

/** Segments of at least this many characters: longer, fewer counts a page, more text at each edge (16: BENCHMARKS.md). */
const SEGMENT_CHARS = 16;
const LETTER = /\p{L}/u;

/**
 * A page's token counts by segment, so that any slice of it is counted without tokenising it whole, and exactly.
 *
 * Why exact: cl100k splits text into pieces with one regex before its byte-pair encoding, which works inside a
 * piece. A piece holding a letter ends where that letter's run of letters ends (a run of letters is one piece,
 * with at most one character before it, or a contraction's letters), so a space right after a letter ends a
 * piece however far before it the text began. Counted on their own, the text between two such places, or from
 * a slice's start to the first and from the last to its end, split into the same pieces as in the slice: the
 * slice's count is the sum of theirs. Such places are kept SEGMENT_CHARS apart at least.
 */
class PageCounter {
  /** Positions of a space right after a letter, ascending. */
  private readonly bounds: number[] = [];
  /** `prefix[j]`: tokens of the text from bounds[0] to bounds[j]. */
  private readonly prefix: number[] = [0];

  constructor(readonly text: string) {
    for (let p = text.indexOf(" ", SEGMENT_CHARS); p !== -1; ) {
      if (LETTER.test(text[p - 1]!)) {
        this.bounds.push(p);
        p = text.indexOf(" ", p + SEGMENT_CHARS);
      } else p = text.indexOf(" ", p + 1);
    }
    for (let j = 1; j < this.bounds.length; j++) this.prefix.push(this.prefix[j - 1]! + tokensOf(text.slice(this.bounds[j - 1], this.bounds[j])));
  }

  /** Exact token count of `text.slice(from, to)`. */
  count(from: number, to: number): number {
    return countJoined([{ counter: this, from, to }]);
  }

  /** The first and last kept boundary in `[from, to]`, by position and index; null: none. */
  boundsWithin(from: number, to: number): { first: number; last: number; firstIdx: number; lastIdx: number } | null {
    const firstIdx = lowerBound(this.bounds, from);
    const lastIdx = lowerBound(this.bounds, to + 1) - 1;
    if (firstIdx > lastIdx) return null;
    return { first: this.bounds[firstIdx]!, last: this.bounds[lastIdx]!, firstIdx, lastIdx };
  }

  /** Tokens of the text between the kept boundaries of index `i` and `j` (i ≤ j). */
  between(i: number, j: number): number {
    return this.prefix[j]! - this.prefix[i]!;
  }
}

/** The first index whose value is ≥ `x` in ascending `values` (values.length when none is). */
function lowerBound(values: number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function makeChunk(index: number, text: string, tokens: number, pages: PageText[], units: Unit[], start: number, end: number): Chunk {
  return {
    index,
    text,
    tokens,
    page_start: pages[units[start]!.pageIdx]!.page,
    page_end: pages[units[end - 1]!.pageIdx]!.page,
  };
}

// Separators from strongest to weakest. Sentence ends: terminal punctuation (plus closing quotes/brackets)
// followed by whitespace; abbreviations cause harmless extra cut candidates, not broken chunks.
const PARAGRAPH_SEP = /\n[ \t]*\n\s*/g;
const SENTENCE_SEP = /(?<=[.!?…。！？]["'”’)\]]*)\s+/g;
const LINE_SEP = /\s*\n\s*/g;
const WORD_SEP = /\s+/g;
const FINER: Array<[RegExp, Break]> = [
  [LINE_SEP, Break.Line],
  [WORD_SEP, Break.Word],
];

/** Cuts one page into units of at most `cap` tokens, each tagged with the boundary that follows it. */
function segmentPage(counter: PageCounter, pageIdx: number, cap: number): Unit[] {
  const text = counter.text;
  const units: Unit[] = [];
  const paragraphs = pieces(text, 0, text.length, PARAGRAPH_SEP);
  for (const [pStart, pEnd] of paragraphs) {
    const sentences = pieces(text, pStart, pEnd, SENTENCE_SEP);
    sentences.forEach(([sStart, sEnd], i) => {
      const brk = i === sentences.length - 1 ? Break.Paragraph : Break.Sentence;
      splitToFit(counter, pageIdx, sStart, sEnd, brk, cap, 0, units);
    });
  }
  // A page end is no paragraph break: PDF sentences run on across pages. Rate it by how the page ends.
  const last = units[units.length - 1];
  if (last) last.brk = /[.!?…。！？]["'”’)\]]*$/.test(text.slice(Math.max(0, last.end - 8), last.end)) ? Break.Sentence : Break.Line;
  return units;
}

/** Adds `[start, end)` as one unit if it fits in `cap` tokens, else splits it at the next finer separator. */
function splitToFit(counter: PageCounter, pageIdx: number, start: number, end: number, brk: Break, cap: number, level: number, out: Unit[]): void {
  const text = counter.text;
  // Count the piece with the whitespace before it (tabs and newlines are tokens too), so that summing
  // unit counts matches the count of the joined text closely.
  const prev = out[out.length - 1];
  const from = prev && prev.pageIdx === pageIdx ? prev.end : start;
  const tokens = counter.count(from, end);
  if (tokens <= cap) {
    out.push({ pageIdx, start, end, tokens, brk });
    return;
  }
  const finer = FINER[level];
  if (!finer) {
    hardSplit(text, pageIdx, start, end, brk, cap, out);
    return;
  }
  const parts = pieces(text, start, end, finer[0]);
  if (parts.length === 1) {
    splitToFit(counter, pageIdx, start, end, brk, cap, level + 1, out);
    return;
  }
  parts.forEach(([s, e], i) => splitToFit(counter, pageIdx, s, e, i === parts.length - 1 ? brk : finer[1], cap, level + 1, out));
}

/** Last resort for a "word" longer than `cap` tokens (base64, long URLs): cut by characters. */
function hardSplit(text: string, pageIdx: number, start: number, end: number, brk: Break, cap: number, out: Unit[]): void {
  let pos = start;
  while (pos < end) {
    let len = Math.min(end - pos, cap);
    let tokens = tokensOf(text.slice(pos, pos + len));
    while (tokens > cap && len > 1) {
      len = Math.max(1, Math.floor(len / 2));
      tokens = tokensOf(text.slice(pos, pos + len));
    }
    // Never cut between the two halves of a surrogate pair.
    if (len > 1 && pos + len < end && isLowSurrogate(text.charCodeAt(pos + len))) {
      len -= 1;
      tokens = tokensOf(text.slice(pos, pos + len));
    }
    out.push({ pageIdx, start: pos, end: pos + len, tokens, brk: pos + len >= end ? brk : Break.Word });
    pos += len;
  }
}

/** Non-empty, whitespace-trimmed `[start, end)` ranges of `text` between matches of `sep`. */
function pieces(text: string, start: number, end: number, sep: RegExp): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const region = text.slice(start, end);
  let from = 0;
  for (const m of region.matchAll(sep)) {
    pushTrimmed(region, from, m.index, start, out);
    from = m.index + m[0].length;
  }
  pushTrimmed(region, from, region.length, start, out);
  return out;
}

function pushTrimmed(region: string, from: number, to: number, offset: number, out: Array<[number, number]>): void {
  while (from < to && /\s/.test(region[from]!)) from += 1;
  while (to > from && /\s/.test(region[to - 1]!)) to -= 1;
  if (to > from) out.push([offset + from, offset + to]);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
