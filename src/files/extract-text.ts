/**
 * Turns an uploaded file's bytes into plain text pages for chunking. PDFs are parsed by a PdfReader (a worker
 * thread in the server) and stream out page by page. Every failure is an ExtractionError whose message tells
 * the uploader what to do next.
 */
import { htmlToText } from "./extract-html.js";
import { ExtractionError, type ExtractedPage } from "./extraction.js";
import { mayBeContainer } from "./office/sniff.js";
import { delimitedPages, tableDelimiter } from "./office/csv.js";
import { inThreadPdfReader, PdfLimitError, type PdfReader } from "./pdf-reader.js";
import { imageFormat } from "./ocr/image-header.js";
import { hasText, OcrError, type OcrReader } from "./ocr/ocr-reader.js";

export { ExtractionError, type ExtractedPage } from "./extraction.js";

export interface ExtractedDoc {
  pages: ExtractedPage[];
}

// Extensions read as text. Mirrors OpenAI's file_search list where it is text, plus common data/code formats.
const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown mdx rst adoc org tex log csv tsv json jsonl ndjson yaml yml toml ini cfg conf env " +
    "xml html htm xhtml css scss less sql sh bash zsh ps1 bat js mjs cjs jsx ts mts cts tsx vue svelte py pyi rb " +
    "php java kt kts scala groovy go rs c h cc cpp cxx hpp hh cs fs swift m mm r jl lua pl pm dart ex exs erl " +
    "hs clj elm nim zig tf proto graphql gql diff patch"
  ).split(" "),
);
const HTML_EXTENSIONS = new Set(["html", "htm", "xhtml"]);

// Formats people commonly try to upload that we do not read yet: worth a specific hint. (ZIP archives and OLE
// compound files are told apart by office/container.ts: Office documents among them are read.)
const KNOWN_BINARY: Array<[magic: number[], kind: string]> = [
  [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x49, 0x49, 0x2a, 0x00], "a TIFF image"],
  [[0x4d, 0x4d, 0x00, 0x2a], "a TIFF image"],
  [[0x47, 0x49, 0x46, 0x38], "a GIF image"],
  [[0x1f, 0x8b], "a gzip archive"],
];

const SUPPORTED_HINT =
  "upload PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx), OpenDocument spreadsheet (.ods), EPUB, plain text, Markdown, HTML, JSON, CSV or source code";

export interface ExtractOptions {
  /** The uploader's declared type, used when content and file name do not decide it. */
  mimeHint?: string;
  /** Where PDFs are parsed; default: in this thread. */
  pdf?: PdfReader;
  /** Stops a PDF parse between pages (and OCR at once). */
  signal?: AbortSignal;
  /**
   * Reads images (PNG, JPEG, TIFF) and PDF pages without a text layer; none (the default): images are
   * refused, and a PDF without any text fails.
   */
  ocr?: OcrReader | null;
  /** Told how many pages the file has once that is known (a PDF once it is open, an image: 1), before its pages. */
  onPageCount?: (pages: number) => void;
}

/**
 * The pages of `bytes`, in order, each as soon as it is read (a PDF's first pages are ready long before its
 * last). The type is decided by content first (PDF magic bytes, known binary signatures), then by the
 * filename's extension, then by `mimeHint`. A file's errors surface when reached; for a PDF without any text
 * that is after its last page.
 * @throws ExtractionError
 */
export async function* extractPages(bytes: Uint8Array, filename: string, options: ExtractOptions = {}): AsyncGenerator<ExtractedPage> {
  const ext = extensionOf(filename);
  if (isPdf(bytes, ext)) {
    yield* extractPdf(bytes, options.pdf ?? inThreadPdfReader, options);
    return;
  }
  if (ext === "pdf" || options.mimeHint === "application/pdf") {
    throw new ExtractionError("invalid_file", "could not parse PDF: the file does not start with a PDF header");
  }
  if (options.ocr && imageFormat(bytes) !== null) {
    options.onPageCount?.(1);
    yield await extractImage(bytes, options.ocr, options.signal);
    return;
  }
  // ZIP-based documents (DOCX, XLSX, PPTX, ODS, EPUB) and OLE compound files, by content, then extension.
  const container = mayBeContainer(bytes, ext) ? (await import("./office/container.js")).openContainer(bytes, ext) : null;
  if (container?.kind === "unsupported") {
    throw new ExtractionError("unsupported_file", `unsupported file type${describe(ext)}: it is ${container.what}; ${SUPPORTED_HINT}`);
  }
  if (container) {
    yield* container.pages(options.signal);
    return;
  }
  const binary = KNOWN_BINARY.find(([magic]) => magic.every((b, i) => bytes[i] === b));
  if (binary) {
    throw new ExtractionError("unsupported_file", `unsupported file type${describe(ext)}: it is ${binary[1]}; ${SUPPORTED_HINT}`);
  }
  const textual = TEXT_EXTENSIONS.has(ext) || isTextMime(options.mimeHint) || ext === "";
  if (!textual) {
    throw new ExtractionError("unsupported_file", `unsupported file type${describe(ext)}: ${SUPPORTED_HINT}`);
  }
  // CSV and TSV as tables: each row with its column names (office/csv.ts); plain text when not a table.
  const delimiter = tableDelimiter(ext, options.mimeHint);
  const raw = delimiter === null ? null : decodeText(bytes);
  const table = raw === null || delimiter === null ? null : delimitedPages(raw, delimiter);
  if (table) {
    for (const page of table) {
      yield page;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return;
  }
  yield* extractPlain(bytes, ext, options.mimeHint).pages;
}

/** All pages of `bytes` at once (see extractPages). @throws ExtractionError */
export async function extractText(bytes: Uint8Array, filename: string, options: ExtractOptions = {}): Promise<ExtractedDoc> {
  const pages: ExtractedPage[] = [];
  for await (const page of extractPages(bytes, filename, options)) pages.push(page);
  return { pages };
}

function extractPlain(bytes: Uint8Array, ext: string, mimeHint?: string): ExtractedDoc {
  const raw = decodeText(bytes);
  if (raw === null) {
    throw new ExtractionError("unsupported_file", `unsupported file type${describe(ext)}: the content is binary, not text; ${SUPPORTED_HINT}`);
  }
  const html = HTML_EXTENSIONS.has(ext) || mimeHint === "text/html" || mimeHint === "application/xhtml+xml";
  const text = html ? htmlToText(raw) : raw.replace(/\r\n?/g, "\n");
  if (!/[\p{L}\p{N}]/u.test(text)) {
    throw new ExtractionError("invalid_file", "the file is empty: it contains no text to index");
  }
  return { pages: [{ page: null, text: html ? text : text.trim() }] };
}

/** Decodes UTF-8 (or UTF-16 with a BOM); falls back to Windows-1252 for legacy files; null when binary. */
function decodeText(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  // A NUL byte never occurs in real UTF-8/8-bit text and almost always does in binary formats.
  if (bytes.subarray(0, 8192).includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

// Windows-1252 bytes 0x80–0x9F (WHATWG index). Node ≥ 20.18.3 decodes "windows-1252" as Latin-1 and gets
// exactly these wrong (https://github.com/nodejs/node/issues/60888), so we map them ourselves.
const CP1252_HIGH =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

function decodeWindows1252(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b))).join("");
}

async function* extractPdf(bytes: Uint8Array, reader: PdfReader, options: ExtractOptions): AsyncGenerator<ExtractedPage> {
  const { signal, onPageCount } = options;
  const ocr = options.ocr ?? null;
  let anyText = false;
  let count = 0;
  try {
    // With OCR, pages without a text layer are drawn and read (files/ocr/).
    const parsed = reader.pages(bytes, signal, onPageCount);
    for await (const page of ocr ? ocr.withOcr(parsed, bytes, signal) : parsed) {
      anyText ||= hasText(page.text);
      count += 1;
      yield page;
    }
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    throw toExtractionError(err);
  }
  if (!anyText && ocr) {
    throw new ExtractionError("invalid_file", `no extractable text: the PDF has no text layer, and OCR found no text on its ${count === 1 ? "page" : `${count} pages`}`);
  }
  if (!anyText) throw new ExtractionError("invalid_file", "no extractable text: scanned PDF? run OCR first");
}

/** An image's text, read by OCR; the image is one page without a number. */
async function extractImage(bytes: Uint8Array, ocr: OcrReader, signal?: AbortSignal): Promise<ExtractedPage> {
  let text: string;
  try {
    text = await ocr.image(bytes, signal);
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    if (err instanceof OcrError) throw new ExtractionError("invalid_file", err.message);
    throw err;
  }
  if (!hasText(text)) throw new ExtractionError("invalid_file", "no text found: OCR read no text in the image");
  return { page: null, text };
}

function toExtractionError(err: unknown): ExtractionError {
  if (err instanceof ExtractionError) return err;
  if (err instanceof OcrError) return new ExtractionError("invalid_file", err.message);
  // By name too: pdf-pages.mjs (plain JavaScript) names its limit errors so.
  if (err instanceof PdfLimitError || (err instanceof Error && err.name === "PdfLimitError")) return new ExtractionError("invalid_file", `could not parse PDF: ${err.message}`);
  const name = err instanceof Error ? err.name : "";
  if (name === "PasswordException") {
    return new ExtractionError("invalid_file", "PDF is password-protected: remove the password and upload again");
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new ExtractionError("invalid_file", `could not parse PDF: ${detail} (is the file complete and not corrupted?)`);
}

function isPdf(bytes: Uint8Array, ext: string): boolean {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  if (head.startsWith("%PDF-")) return true;
  // Readers (pdf.js included) accept junk before the header within the first 1 KiB; but a text file that
  // merely mentions "%PDF-" near its top must stay text.
  return !TEXT_EXTENSIONS.has(ext) && head.includes("%PDF-");
}

function isTextMime(mime: string | undefined): boolean {
  if (!mime) return false;
  return mime.startsWith("text/") || /^application\/(json|xml|x-ndjson|javascript|x-yaml|yaml|x-sh)\b/.test(mime);
}

function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

function describe(ext: string): string {
  return ext ? ` '.${ext}'` : " (no file extension)";
}
