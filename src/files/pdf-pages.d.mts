/** Types of pdf-pages.mjs (plain JavaScript: see there why). */
export interface PdfPage {
  /** 1-based page number. */
  page: number;
  text: string;
}

export interface PdfPagesOptions {
  /** The caller gives the bytes away: pdf.js may detach them. */
  owned?: boolean;
  /** The next page to parse, or null for none; default 1, 2, 3, ... Pages past the last are not parsed. */
  claim?: () => number | null;
  /** Called once the document is loaded, with its page count, before any page is parsed. */
  onLoad?: (total: number) => void;
  /** A document past either limit fails with an error named "PdfLimitError" naming the limit and its env var. */
  limits?: PdfLimits;
}

export interface PdfLimits {
  /** Most pages (checked once the document is loaded, before any page is parsed). */
  maxPages?: number;
  /** Most bytes the document's Flate-compressed non-image streams may inflate to, together. */
  maxInflatedBytes?: number;
}

/**
 * Each page's cleaned text as soon as that page is parsed: every page in order by default, the claimed ones
 * with `claim`. pdf.js's errors pass through.
 */
export function pdfPages(bytes: Uint8Array, options?: PdfPagesOptions): AsyncGenerator<PdfPage>;
