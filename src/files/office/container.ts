/**
 * Which ZIP-based document a file is, decided by content first ([Content_Types].xml's main part for Office
 * Open XML, the `mimetype` entry for OpenDocument and EPUB), then by extension; and the one place its reader's
 * failures become ExtractionErrors naming the document kind. OLE compound files (legacy and encrypted Office
 * files) are recognised here too.
 */
import { ExtractionError, type ExtractedPage } from "../extraction.js";
import { BY_EXTENSION, isCompoundFile, type OfficeFormat } from "./sniff.js";
import { attrOf, findAll, parseXml } from "./xml.js";
import { looksLikeZip, ZipArchive, ZipGuardError } from "./zip-guard.js";

export type { OfficeFormat } from "./sniff.js";

export type Container =
  /** A document we read: its pages, as they are read. */
  | { kind: "document"; format: OfficeFormat; pages(signal?: AbortSignal): AsyncGenerator<ExtractedPage> }
  /** A ZIP of a kind we do not read; `what` describes it ("a ZIP archive", "an OpenDocument text (.odt)"). */
  | { kind: "unsupported"; what: string };

const NOUN: Record<OfficeFormat, string> = {
  docx: "Word document",
  xlsx: "Excel workbook",
  pptx: "PowerPoint presentation",
  ods: "OpenDocument spreadsheet",
  epub: "EPUB book",
};

/** Main-part content types of [Content_Types].xml (macro-enabled and template variants included). */
const MAIN_PARTS: Array<[RegExp, OfficeFormat | string]> = [
  [/(wordprocessingml\.(document|template)|ms-word\.(document|template)\.macroEnabled)(\.main)?\+xml$/i, "docx"],
  [/(spreadsheetml\.(sheet|template)|ms-excel\.(sheet|template)\.macroEnabled)\.main\+xml$/i, "xlsx"],
  [/(presentationml\.(presentation|slideshow|template)|ms-powerpoint\.(presentation|slideshow|template)\.macroEnabled)\.main(\+xml)?$/i, "pptx"],
  [/ms-excel\.sheet\.binary\.macroEnabled\.main$/i, "a binary Excel workbook (.xlsb): save it as .xlsx"],
];

const ODF_TYPES: Record<string, OfficeFormat | string> = {
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
  "application/epub+zip": "epub",
  "application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt), which is not read yet: save it as .docx",
  "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp), which is not read yet: save it as .pptx",
};

/**
 * The container `bytes` are, or null when they are neither a ZIP nor an OLE compound file and `ext` names no
 * ZIP-based format (then they are some other kind of file). Reads only the ZIP's directory and its smallest
 * parts; the document is read by `pages`. @throws ExtractionError for an OLE file, or a damaged or mislabelled
 * document (`invalid_file`).
 */
export function openContainer(bytes: Uint8Array, ext: string): Container | null {
  if (isCompoundFile(bytes)) throw compoundFileError(bytes);
  const named = Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext] : undefined;
  if (!looksLikeZip(bytes)) {
    if (!named) return null;
    throw new ExtractionError("invalid_file", `could not read the ${NOUN[named]}: a .${ext} file is a ZIP container and this one is not (is it complete, and really a .${ext} file?)`);
  }
  try {
    const zip = ZipArchive.open(bytes);
    const found = formatOf(zip, named);
    if (typeof found === "string") return { kind: "unsupported", what: found };
    return { kind: "document", format: found.format, pages: (signal) => guarded(found.format, readerOf(found.format, zip, found.mainPart), signal) };
  } catch (err) {
    if (!named && err instanceof ZipGuardError) return { kind: "unsupported", what: `a ZIP archive that cannot be read (${err.message})` };
    throw toExtractionError(named ?? null, err);
  }
}

/** Each format's reader, loaded when a document of its kind is read (mammoth and exceljs are large). */
async function* readerOf(format: OfficeFormat, zip: ZipArchive, mainPart: string | undefined): AsyncGenerator<ExtractedPage> {
  switch (format) {
    case "docx":
      return yield* (await import("./docx.js")).docxPages(zip);
    case "pptx":
      return yield* (await import("./pptx.js")).pptxPages(zip, mainPart);
    case "xlsx":
      return yield* (await import("./xlsx.js")).xlsxPages(zip);
    case "ods":
      return yield* (await import("./ods.js")).odsPages(zip);
    case "epub":
      return yield* (await import("./epub.js")).epubPages(zip);
  }
}

/** The format and its main part, or a description of a ZIP we do not read. */
function formatOf(zip: ZipArchive, named: OfficeFormat | undefined): { format: OfficeFormat; mainPart?: string } | string {
  if (zip.has("[Content_Types].xml")) {
    for (const override of findAll(parseXml(zip.text("[Content_Types].xml") ?? ""), "Override")) {
      const type = attrOf(override, "ContentType") ?? "";
      const found = MAIN_PARTS.find(([pattern]) => pattern.test(type))?.[1];
      if (found && found in NOUN) return { format: found as OfficeFormat, mainPart: (attrOf(override, "PartName") ?? "").replace(/^\//, "") };
      if (found) return found;
    }
    // A package without the usual overrides: the parts' usual names decide.
    if (zip.has("word/document.xml")) return { format: "docx" };
    if (zip.has("xl/workbook.xml")) return { format: "xlsx" };
    if (zip.has("ppt/presentation.xml")) return { format: "pptx" };
    return "an Office Open XML package that is not a Word, Excel or PowerPoint file";
  }
  if (zip.has("mimetype")) {
    const type = (zip.text("mimetype") ?? "").trim();
    const found = Object.hasOwn(ODF_TYPES, type) ? ODF_TYPES[type] : undefined;
    if (found && found in NOUN) return { format: found as OfficeFormat };
    if (found) return found;
    if (type.startsWith("application/vnd.oasis.opendocument.")) return `an OpenDocument file of a kind not read (${type.slice(0, 80)})`;
  }
  if (named === "epub" && zip.has("META-INF/container.xml")) return { format: "epub" };
  return "a ZIP archive, not a Word, Excel, PowerPoint, OpenDocument spreadsheet or EPUB file";
}

/** The reader's pages, stopped by `signal` between pages, its failures as ExtractionErrors; no text is one too. */
async function* guarded(format: OfficeFormat, pages: AsyncGenerator<ExtractedPage>, signal?: AbortSignal): AsyncGenerator<ExtractedPage> {
  let anyText = false;
  try {
    for await (const page of pages) {
      signal?.throwIfAborted();
      anyText ||= /[\p{L}\p{N}]/u.test(page.text);
      yield page;
    }
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    throw toExtractionError(format, err);
  }
  if (!anyText) throw new ExtractionError("invalid_file", `the ${NOUN[format]} is empty: it contains no text to index`);
}

function toExtractionError(format: OfficeFormat | null, err: unknown): ExtractionError {
  if (err instanceof ExtractionError) return err;
  const noun = format ? NOUN[format] : "document";
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 300);
  if (err instanceof ZipGuardError) return new ExtractionError("invalid_file", `could not read the ${noun}: ${message}`);
  return new ExtractionError("invalid_file", `could not read the ${noun}: ${message} (is the file complete and not corrupted?)`);
}

/**
 * OLE compound files: Office 97-2003 documents, and Office 2007+ documents with a password (their encrypted
 * package is stored in a compound file, under a stream named "EncryptedPackage").
 */
function compoundFileError(bytes: Uint8Array): ExtractionError {
  const encrypted = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(Buffer.from("EncryptedPackage", "utf16le"));
  if (encrypted) return new ExtractionError("invalid_file", "the Office file is password-protected (encrypted): remove the password, save it and upload again");
  return new ExtractionError(
    "invalid_file",
    "could not read the file: it is an OLE compound file, a password-protected or legacy Office format (.doc, .xls, .ppt): remove the password or save it as .docx, .xlsx or .pptx, and upload again",
  );
}
