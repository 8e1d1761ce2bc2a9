// PDF text, page by page, with pdf-parse: the only importer of pdf-parse. Plain JavaScript (types in
// pdf-pages.d.mts) so that the PDF worker thread (pdf-worker.mjs) runs it without a TypeScript loader: under
// tsx's loader, loading and running pdf.js took ~200 MB of heap for a 4-page PDF; plainly, ~20 MB.

/**
 * Yields each page's cleaned text as soon as that page is parsed: by default every page in order. Errors are
 * pdf.js's own (e.g. name "PasswordException"); extract-text.ts turns them into messages for the uploader.
 * Stopping the iteration early (return/break) frees the document.
 *
 * Several threads can share one document's pages (pdf-worker.mjs): each loads the document and `claim`s the
 * next page nobody has taken yet, so the pages come out of each thread in rising order, not all of them.
 * @param {Uint8Array} bytes
 * @param {{ owned?: boolean, claim?: () => number | null, onLoad?: (total: number) => void }} [options]
 *   owned: the caller gives the bytes away (pdf.js may detach them); claim: the next page to parse, or null
 *   for none (default: 1, 2, 3, ...; pages past the last are not parsed); onLoad: called once the document
 *   is loaded, with its page count, before any page is parsed
 */
export async function* pdfPages(bytes, options = {}) {
  // Loaded on first use: pdf.js is large (import ~0.1 s; the first parse pays more set-up), and a process
  // may never see a PDF. The ESM loader caches the module, so later calls pay nothing for it.
  const { PDFParse } = await import("pdf-parse");
  // pdf.js transfers (detaches) the buffer it is given: unless the caller gives its bytes away, hand it a copy
  // (by constructor: Buffer's slice() would be a view of the same memory).
  const parser = new PDFParse({ data: options.owned ? bytes : new Uint8Array(bytes), verbosity: 0 });
  let next = 0;
  const claim = options.claim ?? (() => ++next);
  try {
    // Loads the document and parses no page (none is numbered 0): a thread claims pages only once it can
    // parse them right away. PDFParse keeps the document loaded for the calls below.
    const { total } = await parser.getText({ partial: [0] });
    options.onLoad?.(total);
    for (let page = claim(); page !== null && page <= total; page = claim()) {
      const result = await parser.getText({ partial: [page] });
      yield { page, text: cleanPdfText(result.pages[0]?.text ?? "") };
    }
  } finally {
    await parser.destroy();
  }
}

/**
 * Repairs what PDF text extraction typically breaks: words hyphenated across a line end are rejoined
 * (so "Vorausset-\nzung" is found by a search for "Voraussetzung"), control characters used as glyphs
 * (e.g. the QED box) are dropped.
 * @param {string} text
 */
function cleanPdfText(text) {
  const cleaned = text
    .replace(/\r\n?/g, "\n")
    .replace(/(\p{Ll})-\n(\p{Ll})/gu, "$1$2")
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "");
  // Tabs are kept: pdf-parse puts them between table cells, and they keep columns apart for the reader.
  return cleaned
    .replace(/[ \u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .trim();
}
