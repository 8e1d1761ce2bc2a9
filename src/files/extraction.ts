/**
 * What text extraction hands on, and how it fails: shared by extract-text.ts (the dispatcher) and the format
 * readers under files/ (office/), which extract-text.ts imports; this module imports none of them.
 */

/** One page of extracted text; `page` is the 1-based PDF page (slide, sheet) number, or null for formats without pages. */
export interface ExtractedPage {
  page: number | null;
  text: string;
  /**
   * The page is a unit of its own (a slide, a sheet): no chunk joins its text with another page's, so a
   * passage's page number is the slide or sheet it came from. A PDF's pages leave it unset: paragraphs run on
   * across PDF pages.
   */
  standalone?: boolean;
}

/**
 * Why a file could not be turned into text. `unsupported_file`: a type we do not read at all;
 * `invalid_file`: a type we read, but this file is broken, empty or unreadable (scanned, encrypted).
 */
export class ExtractionError extends Error {
  override readonly name = "ExtractionError";
  constructor(
    readonly code: "unsupported_file" | "invalid_file",
    message: string,
  ) {
    super(message);
  }
}
