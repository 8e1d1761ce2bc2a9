// PDF text, page by page, with pdf-parse: the only importer of pdf-parse. Plain JavaScript (types in
// pdf-pages.d.mts) so that the PDF worker thread (pdf-worker.mjs) runs it without a TypeScript loader: under
// tsx's loader, loading and running pdf.js took ~200 MB of heap for a 4-page PDF; plainly, ~20 MB.
import { constants, createInflate, inflateSync } from "node:zlib";
import { restorePdfjsBuiltins } from "./pdfjs-builtins.mjs";
import { sharedHeapWorker } from "./pdfjs-shared-heap.mjs";

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
 * @param {{ maxPages?: number, maxInflatedBytes?: number }} [options.limits] a document past either fails with an
 *   error named "PdfLimitError" whose message names the limit (pdf.js has no cap of its own on either: a page tree
 *   that reuses one node has millions of pages, a content stream can inflate a thousandfold)
 */
export async function* pdfPages(bytes, options = {}) {
  // Loaded on first use: pdf.js is large (import ~0.1 s; the first parse pays more set-up), and a process
  // may never see a PDF. The ESM loader caches the module, so later calls pay nothing for it.
  const { PDFParse } = await import("pdf-parse");
  const limits = options.limits ?? {};
  // Before pdf.js sees the bytes (which the caller may give away): pdf.js would inflate a bomb in full.
  if (limits.maxInflatedBytes !== undefined) await checkInflatedSize(bytes, limits.maxInflatedBytes);
  // pdf.js transfers (detaches) the buffer it is given: unless the caller gives its bytes away, hand it a copy
  // (by constructor: Buffer's slice() would be a view of the same memory).
  const parser = new PDFParse({ data: options.owned ? bytes : new Uint8Array(bytes), verbosity: 0, worker: await sharedHeapWorker() });
  let next = 0;
  const claim = options.claim ?? (() => ++next);
  try {
    // Loads the document and parses no page (none is numbered 0): a thread claims pages only once it can
    // parse them right away. PDFParse keeps the document loaded for the calls below.
    const { total } = await parser.getText({ partial: [0] });
    restorePdfjsBuiltins(); // pdf.js is loaded in full now (see pdfjs-builtins.mjs)
    if (limits.maxPages !== undefined && total > limits.maxPages) {
      throw limitError(`the PDF has ${total} pages, more than the ${limits.maxPages} allowed (PDF_MAX_PAGES): split it into smaller files`);
    }
    options.onLoad?.(total);
    // The pages' text is assembled here from pdf.js's text items rather than by getText, which loses the
    // vertical gaps between paragraphs: a title and the text under it came out as two plain lines, so no title
    // was found (document-title.ts) and chunks could not break at paragraphs.
    const doc = await parser.load();
    for (let page = claim(); page !== null && page <= total; page = claim()) {
      const pdfPage = await doc.getPage(page);
      try {
        const content = await pdfPage.getTextContent();
        yield { page, text: cleanPdfText(pageText(content.items)) };
      } finally {
        pdfPage.cleanup();
      }
    }
  } finally {
    await parser.destroy();
  }
}

// pdf-parse's defaults, kept so that lines and table cells come out as they did through its getText: a change
// of baseline by more than LINE_THRESHOLD points (and more than the line's height) starts a new line; a
// horizontal gap of more than CELL_THRESHOLD points on one line is a tab (table cells, columns).
const LINE_THRESHOLD = 4.6;
const CELL_THRESHOLD = 7;
// A step down between two lines this many times the page's usual line step is a paragraph break (a blank line).
// Relative to the page, so a double-spaced page does not become one paragraph per line; 1.2× leading is typeset
// text, a blank line between paragraphs doubles the step.
const PARAGRAPH_STEP = 1.5;

/**
 * A page's text from its pdf.js text items: items joined in reading order as pdf.js gives them, lines broken as
 * pdf-parse breaks them, and a blank line where the page leaves a paragraph's gap.
 * @param {Array<{ str?: string, hasEOL?: boolean, transform?: number[], width?: number, height?: number }>} items
 */
function pageText(items) {
  /** @type {{ text: string, y: number }[]} */
  const lines = [];
  let line = "";
  let lineY;
  let lastX;
  let lastY;
  let lineHeight = 0;
  const endLine = () => {
    if (lineY !== undefined || line) lines.push({ text: line, y: lineY ?? lastY ?? 0 });
    line = "";
    lineY = undefined;
    lineHeight = 0;
  };
  for (const item of items) {
    if (typeof item.str !== "string" || !item.transform) continue; // marked-content markers
    const x = item.transform[4];
    const y = item.transform[5];
    if (lastY !== undefined && line && Math.abs(lastY - y) > LINE_THRESHOLD && Math.abs(lastY - y) - 1 > lineHeight) endLine();
    else if (lastY !== undefined && line && Math.abs(lastY - y) < LINE_THRESHOLD && lastX !== undefined && Math.abs(lastX - x) > CELL_THRESHOLD) line += "\t";
    if (lineY === undefined && item.str.trim()) lineY = y;
    line += item.str;
    lastX = x + (item.width ?? 0);
    lastY = y;
    lineHeight = Math.max(lineHeight, item.height ?? 0);
    if (item.hasEOL) endLine();
  }
  endLine();
  const steps = [];
  for (let i = 1; i < lines.length; i++) {
    const step = lines[i - 1].y - lines[i].y;
    if (step > 0) steps.push(step);
  }
  steps.sort((a, b) => a - b);
  const usualStep = steps.length ? steps[Math.floor(steps.length / 2)] : 0;
  let text = "";
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) text += usualStep > 0 && lines[i - 1].y - lines[i].y > PARAGRAPH_STEP * usualStep ? "\n\n" : "\n";
    text += lines[i].text;
  }
  return text;
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

function limitError(message) {
  return Object.assign(new Error(message), { name: "PdfLimitError" });
}

/**
 * Fails (PdfLimitError) when the document's Flate-compressed streams other than images inflate to more than
 * `max` bytes together: content streams, fonts, object streams, what pdf.js inflates to read text. Streams are
 * found in the raw bytes (a stream is never inside another object's stream) and inflated only to count their
 * size, stopping at the limit, so a bomb costs the time to inflate `max` bytes and little memory. Images are
 * left out: text extraction does not decode them. A stream that does not inflate (encrypted, corrupt) counts
 * what came out before its error; pdf.js reports the damage if it matters.
 * @param {Uint8Array} bytes
 * @param {number} max
 */
async function checkInflatedSize(bytes, max) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  for (const { data, layers } of flateStreams(buf)) {
    total += await inflatedSize(data, layers, max - total);
    if (total > max) {
      const mb = Math.round((max / 1048576) * 10) / 10;
      throw limitError(`the PDF's compressed streams inflate to more than ${mb} MB (PDF_MAX_INFLATED_MB): split it into smaller files`);
    }
  }
}

const STREAM = Buffer.from("stream");
const END_STREAM = Buffer.from("endstream");

/**
 * The Flate-compressed, non-image streams of a PDF's raw bytes; `layers`: how many times FlateDecode is
 * applied (a filter array may repeat it).
 * @param {Buffer} buf
 * @returns {Generator<{ data: Buffer, layers: number }>}
 */
function* flateStreams(buf) {
  let from = 0;
  for (;;) {
    const at = buf.indexOf(STREAM, from);
    if (at < 0) return;
    from = at + STREAM.length;
    // "endstream" contains "stream": only a keyword after a dictionary's ">>" opens a stream.
    if (at >= 3 && buf.toString("latin1", at - 3, at) === "end") continue;
    let start = from;
    if (buf[start] === 0x0d) start++;
    if (buf[start] === 0x0a) start++;
    // The stream's dictionary: back to the "obj" that opens it (bounded, so a huge dictionary is not re-read).
    const head = buf.toString("latin1", Math.max(0, at - 4096), at);
    const dict = head.slice(head.lastIndexOf("obj") + 1);
    if (!/>>\s*$/.test(dict)) continue;
    const end = buf.indexOf(END_STREAM, start);
    const stop = end < 0 ? buf.length : end;
    from = Math.max(from, stop);
    const layers = (dict.match(/\/(?:FlateDecode|Fl)\b/g) ?? []).length;
    if (layers === 0 || /\/Subtype\s*\/Image\b/.test(dict)) continue;
    yield { data: buf.subarray(start, stop), layers };
  }
}

// Below this compressed size a stream is inflated at once (at most ~1032 times as many bytes, and never more
// than the budget's); above, as a stream, so a bomb is never held in memory.
const SMALL_STREAM = 64 * 1024;

/**
 * Bytes `data` inflates to through `layers` Flate decoders, counting stops once past `budget`.
 * @param {Buffer} data
 * @param {number} layers
 * @param {number} budget
 * @returns {Promise<number>}
 */
function inflatedSize(data, layers, budget) {
  if (layers === 1 && data.length <= SMALL_STREAM) {
    try {
      return Promise.resolve(inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, budget + 1) }).length);
    } catch (err) {
      // Past maxOutputLength: over the budget. Anything else: a broken stream, counted as nothing.
      return Promise.resolve(err?.code === "ERR_BUFFER_TOO_LARGE" ? budget + 1 : 0);
    }
  }
  return new Promise((resolve) => {
    const chain = Array.from({ length: Math.min(layers, 4) }, () => createInflate({ finishFlush: constants.Z_SYNC_FLUSH }));
    let count = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const z of chain) z.destroy();
      resolve(count);
    };
    for (let i = 0; i + 1 < chain.length; i++) chain[i].pipe(chain[i + 1]);
    for (const z of chain) z.on("error", finish);
    const last = chain[chain.length - 1];
    last.on("data", (chunk) => {
      count += chunk.length;
      if (count > budget) finish();
    });
    last.on("end", finish);
    chain[0].end(data);
  });
}
