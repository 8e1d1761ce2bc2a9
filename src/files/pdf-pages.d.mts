/** Types of pdf-pages.mjs (plain JavaScript: see there why). */
export interface PdfPage {
  /** 1-based page number. */
  page: number;
  text: string;
}

/** Each page's cleaned text in order, as soon as that page is parsed; pdf.js's errors pass through. */
export function pdfPages(bytes: Uint8Array, options?: { owned?: boolean }): AsyncGenerator<PdfPage>;
