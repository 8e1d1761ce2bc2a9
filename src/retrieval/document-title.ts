/**
 * A document's title, searched with every one of its chunks (ChunkRow.context): a question about "the lease"
 * should find the lease's clause on page 9, which never says "lease" (test/contract/vector-stores-ranking.test.ts).
 * In the first chunk, which holds the title already, it counts twice: a title field weighted. That is what
 * Cranfield measures (its abstracts are one chunk each): nDCG@10 +0.01 (bench/retrieval-cranfield.ts).
 */

/** Longer first lines are a paragraph, not a title. */
const MAX_TITLE_CHARS = 150;

/**
 * The first non-empty line of a document's first page, when it reads as a title: a paragraph of its own (a
 * blank line after it, or a Markdown heading), short, with a letter in it, and followed by more text. A line
 * that runs on into the next is the start of a paragraph (a PDF's text layer breaks lines where the page did),
 * so documents without that break get no title rather than a wrong one.
 */
export function documentTitle(firstPage: string): string | null {
  const text = firstPage.replace(/\r\n?/g, "\n").trimStart();
  const end = text.indexOf("\n");
  if (end < 0 || !/\S/.test(text.slice(end))) return null;
  const heading = /^#{1,6}\s/.test(text);
  if (!heading && !/^\n[ \t]*\n/.test(text.slice(end))) return null;
  const line = text.slice(0, end).replace(/^#{1,6}\s+/, "").replace(/\s+/g, " ").trim();
  if (line.length < 3 || line.length > MAX_TITLE_CHARS || !/\p{L}/u.test(line)) return null;
  return line;
}
