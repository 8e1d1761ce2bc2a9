import { readFileSync } from "node:fs";
import { countTokens } from "gpt-tokenizer/encoding/cl100k_base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractText } from "../../src/files/extract-text.js";
import { Chunker, chunkPages, type Chunk, type PageText } from "../../src/retrieval/chunker.js";

const PLAIN = { disallowedSpecial: new Set<string>() };

/** A numbered sentence, so tests can tell which sentences landed in which chunk. */
const sentence = (n: number) => `Sentence number ${n} talks about topic ${n % 7} in a few plain words.`;
const paragraph = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => sentence(from + i)).join(" ");
const numbersIn = (text: string) => [...text.matchAll(/Sentence number (\d+)/g)].map((m) => Number(m[1]));

function expectValid(chunks: Chunk[], maxTokens: number): void {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.tokens).toBe(countTokens(c.text, PLAIN));
    expect(c.tokens).toBeLessThanOrEqual(maxTokens);
    expect(c.text).toBe(c.text.trim());
  });
}

describe("chunkPages", () => {
  it("returns no chunks for no text, one chunk for short text", () => {
    expect(chunkPages([])).toEqual([]);
    expect(chunkPages([{ page: 1, text: "  \n " }])).toEqual([]);
    const [only, ...rest] = chunkPages([{ page: null, text: "  Just one line.  " }]);
    expect(rest).toEqual([]);
    expect(only).toEqual({ index: 0, text: "Just one line.", page_start: null, page_end: null, tokens: 4 });
  });

  it("keeps every chunk within maxTokens with an exact token count, and loses no sentence", () => {
    const text = Array.from({ length: 40 }, (_, p) => paragraph(p * 8, 8)).join("\n\n");
    for (const [maxTokens, overlapTokens] of [[100, 0], [100, 50], [800, 400], [300, 120]] as const) {
      const chunks = chunkPages([{ page: null, text }], { maxTokens, overlapTokens });
      expectValid(chunks, maxTokens);
      const seen = new Set(chunks.flatMap((c) => numbersIn(c.text)));
      expect(seen.size).toBe(320);
    }
  });

  it("prefers paragraph ends, then sentence ends, as cut points", () => {
    // Paragraphs of ~6 sentences (~100 tokens): a 400-token chunk should end exactly at a paragraph end.
    const text = Array.from({ length: 20 }, (_, p) => paragraph(p * 6, 6)).join("\n\n");
    const chunks = chunkPages([{ page: null, text }], { maxTokens: 400, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      const nums = numbersIn(c.text);
      expect(nums[0]! % 6).toBe(0); // starts a paragraph
      expect(nums[nums.length - 1]! % 6).toBe(5); // ends one
    }
    // One long paragraph: cuts fall after a full sentence.
    const flat = chunkPages([{ page: null, text: paragraph(0, 120) }], { maxTokens: 200, overlapTokens: 0 });
    for (const c of flat) expect(c.text).toMatch(/^Sentence number \d+ .*words\.$/s);
  });

  it("overlaps consecutive chunks by whole sentences, up to overlapTokens", () => {
    const text = paragraph(0, 150);
    const chunks = chunkPages([{ page: null, text }], { maxTokens: 300, overlapTokens: 100 });
    for (let i = 1; i < chunks.length; i++) {
      const prev = numbersIn(chunks[i - 1]!.text);
      const next = numbersIn(chunks[i]!.text);
      const shared = next.filter((n) => prev.includes(n));
      expect(shared.length).toBeGreaterThan(0);
      expect(next[0]).toBe(shared[0]); // the shared part is the start of the next chunk
      const overlap = countTokens(shared.map(sentence).join(" "), PLAIN);
      expect(overlap).toBeLessThanOrEqual(100);
      expect(overlap).toBeGreaterThan(100 - 25); // at most one sentence short of the budget
    }
    const none = chunkPages([{ page: null, text }], { maxTokens: 300, overlapTokens: 0 });
    const all = none.flatMap((c) => numbersIn(c.text));
    expect(all).toEqual([...Array(150).keys()]); // no sentence twice, none lost, in order
  });

  it("tracks pages, including chunks that span a page break", () => {
    const pages = [1, 2, 3].map((page) => ({ page, text: paragraph(page * 100, 20) }));
    const chunks = chunkPages(pages, { maxTokens: 250, overlapTokens: 50 });
    expectValid(chunks, 250);
    for (const c of chunks) {
      const onPages = numbersIn(c.text).map((n) => Math.floor(n / 100));
      expect(c.page_start).toBe(Math.min(...onPages));
      expect(c.page_end).toBe(Math.max(...onPages));
    }
    expect(chunks.some((c) => c.page_start !== c.page_end)).toBe(true);
    const spanning = chunks.find((c) => c.page_start !== c.page_end)!;
    expect(spanning.text).toContain("words.\n\nSentence number"); // pages joined by a blank line
  });

  it("splits text without sentence ends at lines, then words, then characters", () => {
    const csv = Array.from({ length: 300 }, (_, i) => `row${i},${i * 3},${i % 5}`).join("\n");
    const lines = chunkPages([{ page: null, text: csv }], { maxTokens: 100, overlapTokens: 0 });
    expectValid(lines, 100);
    for (const c of lines) expect(c.text).toMatch(/^row\d+,\d+,\d$/m); // whole lines only
    expect(lines.flatMap((c) => c.text.split("\n"))).toHaveLength(300);
    const blob = "x".repeat(3000) + "😀".repeat(500);
    const pieces = chunkPages([{ page: null, text: blob }], { maxTokens: 100, overlapTokens: 0 });
    expectValid(pieces, 100);
    expect(pieces.map((c) => c.text).join("")).toBe(blob);
  });

  it("counts special-token text like <|endoftext|> as ordinary text", () => {
    const [chunk] = chunkPages([{ page: null, text: "before <|endoftext|> after" }]);
    expect(chunk!.text).toBe("before <|endoftext|> after");
  });

  it("counts tokens exactly whatever the text's spacing: runs of spaces, tabs, punctuation before line breaks, digits, contractions", () => {
    // Chunk counts are sums over segments of each page (chunker.ts PageCounter); these are the places where
    // cl100k's pieces run across a space or line break, so a wrong segment boundary would show here.
    const token = fc.constantFrom("word", "Wörter", "it's", "we'll", "1234", "3.14", "(x)", "—", "...", ".", ",", "?!", "日本語", "😀", "a", "Z");
    const gap = fc.constantFrom(" ", "  ", "   ", "\t", " \t ", "\n", ".\n", "\n\n", " \n", "\n ", "\r\n", ",  ", ". ", "");
    const text = fc.array(fc.tuple(token, gap), { minLength: 1, maxLength: 300 }).map((parts) => parts.map(([t, g]) => t + g).join(""));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.integer({ min: 100, max: 300 }), (texts, maxTokens) => {
        const pages = texts.map((t, i) => ({ page: i + 1, text: t }));
        expectValid(chunkPages(pages, { maxTokens, overlapTokens: Math.floor(maxTokens / 3) }), maxTokens);
      }),
      { numRuns: 200 },
    );
  });

  it("chunks the 117-page PDF into valid, page-ordered chunks", async () => {
    const bytes = new Uint8Array(readFileSync(new URL("../fixtures/pdfs/GeoTopo-komprimiert.pdf", import.meta.url)));
    const doc = await extractText(bytes, "GeoTopo-komprimiert.pdf");
    const t0 = performance.now();
    const chunks = chunkPages(doc.pages);
    const ms = performance.now() - t0;
    expectValid(chunks, 800);
    expect(chunks[0]!.page_start).toBe(1);
    expect(chunks.at(-1)!.page_end).toBe(117);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.page_start!).toBeGreaterThanOrEqual(chunks[i - 1]!.page_start!);
    // Measured ~50–110 ms on a 2-core machine; the bound only catches an accidental quadratic.
    expect(ms).toBeLessThan(2000);
  });
});

/** Feeds pages one at a time; returns every chunk and how many came out before finish(). */
function streamed(pages: PageText[], options: { maxTokens: number; overlapTokens: number }) {
  const chunker = new Chunker(options);
  const early = pages.flatMap((p) => chunker.push(p));
  return { chunks: [...early, ...chunker.finish()], early: early.length };
}

describe("Chunker (page by page)", () => {
  it("gives exactly chunkPages' chunks for any pages, chunk size and overlap", () => {
    const word = fc.constantFrom("alpha", "beta", "gamma", "Delta.", "eps,", "zeta!", "\n", "\n\n", "x".repeat(40), "日本語", "…");
    const page = fc.record({ page: fc.option(fc.nat(500), { nil: null }), text: fc.array(word, { maxLength: 400 }).map((w) => w.join(" ")) });
    fc.assert(
      fc.property(fc.array(page, { maxLength: 8 }), fc.integer({ min: 100, max: 400 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (pages, maxTokens, share) => {
        const options = { maxTokens, overlapTokens: Math.floor(maxTokens * share) };
        expect(streamed(pages, options).chunks).toEqual(chunkPages(pages, options));
      }),
      { numRuns: 150 },
    );
  });

  it("emits most chunks of a long document before its last page", async () => {
    const doc = await extractText(new Uint8Array(readFileSync(new URL("../fixtures/pdfs/GeoTopo-komprimiert.pdf", import.meta.url))), "GeoTopo-komprimiert.pdf");
    const options = { maxTokens: 800, overlapTokens: 400 };
    const { chunks, early } = streamed(doc.pages, options);
    expect(chunks).toEqual(chunkPages(doc.pages, options));
    // Only the text after the last chunk decided by earlier pages waits for finish(): a chunk or two.
    expect(chunks.length - early).toBeLessThanOrEqual(3);
  });
});
