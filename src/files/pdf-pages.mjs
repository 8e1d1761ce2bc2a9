// PDF text, page by page, with pdf-parse: the only importer of pdf-parse. Plain JavaScript (types in
// pdf-pages.d.mts) so that the PDF worker thread (pdf-worker.mjs) runs it without a TypeScript loader: under
// tsx's loader, loading and running pdf.js took ~200 MB of heap for a 4-page PDF; plainly, ~20 MB.

/**
 * Yields each page's cleaned text in order, as soon as that page is parsed. Errors are pdf.js's own
 * (e.g. name "PasswordException"); extract-text.ts turns them into messages for the uploader. Stopping the
 * iteration early (return/break) frees the document.
 * @param {Uint8Array} bytes
 * @param {{ owned?: boolean }} [options] owned: the caller gives the bytes away (pdf.js may detach them)
 */
export async function* pdfPages(bytes, options = {}) {
  // Loaded on first use: pdf.js is large (import ~0.1 s; the first parse pays more set-up), and a process
  // may never see a PDF. The ESM loader caches the module, so later calls pay nothing for it.
  const { PDFParse } = await import("pdf-parse");
  // pdf.js transfers (detaches) the buffer it is given: unless the caller gives its bytes away, hand it a copy
  // (by constructor: Buffer's slice() would be a view of the same memory).
  const parser = new PDFParse({ data: options.owned ? bytes : new Uint8Array(bytes), verbosity: 0 });
  try {
    // One page per call: the document is loaded by the first and stays loaded (PDFParse caches it).
    let total = 1;
    for (let page = 1; page <= total; page++) {
      const result = await parser.getText({ partial: [page] });
      total = result.total;
      const parsed = result.pages[0];
      if (parsed) yield { page, text: cleanPdfText(parsed.text) };
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
