/**
 * Office documents written by the tests: the smallest OOXML / ODF / EPUB packages that Word-compatible readers
 * (mammoth for DOCX) and the server accept, zipped with fflate; and hostile ZIPs (bombs, damage) written byte
 * by byte. XLSX fixtures are written with exceljs by the tests themselves.
 */
import zlib from "node:zlib";
import { strToU8, zipSync, type Zippable } from "fflate";

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"';
const P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const OOXML = "application/vnd.openxmlformats-officedocument";

function zip(parts: Record<string, string | Uint8Array>): Uint8Array {
  const files: Zippable = {};
  for (const [name, data] of Object.entries(parts)) files[name] = typeof data === "string" ? strToU8(data) : data;
  return zipSync(files, { level: 6 });
}

function relsXml(rels: Array<[id: string, type: string, target: string]>): string {
  return `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`)
    .join("")}</Relationships>`;
}

function contentTypes(overrides: Array<[part: string, type: string]>): string {
  return (
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    overrides.map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`).join("") +
    "</Types>"
  );
}

export type DocxBlock = { heading: string } | { paragraph: string } | { bullets: string[] } | { numbered: string[] } | { table: string[][] };

/** A Word document: headings (style "heading 1"), paragraphs, bullet and numbered lists, tables. */
export function docx(blocks: DocxBlock[]): Uint8Array {
  const run = (text: string) => `<w:r><w:t xml:space="preserve">${esc(text)}</w:t></w:r>`;
  const para = (text: string, props = "") => `<w:p>${props ? `<w:pPr>${props}</w:pPr>` : ""}${run(text)}</w:p>`;
  const listItem = (text: string, numId: number) => para(text, `<w:numPr><w:ilvl w:val="0"/><w:numId w:val="${numId}"/></w:numPr>`);
  const body = blocks
    .map((b) => {
      if ("heading" in b) return para(b.heading, '<w:pStyle w:val="Heading1"/>');
      if ("paragraph" in b) return para(b.paragraph);
      if ("bullets" in b) return b.bullets.map((t) => listItem(t, 1)).join("");
      if ("numbered" in b) return b.numbered.map((t) => listItem(t, 2)).join("");
      return `<w:tbl><w:tblPr/><w:tblGrid/>${b.table.map((row) => `<w:tr>${row.map((cell) => `<w:tc>${para(cell)}</w:tc>`).join("")}</w:tr>`).join("")}</w:tbl>`;
    })
    .join("");
  const level = (fmt: string, text: string) => `<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="${fmt}"/><w:lvlText w:val="${text}"/></w:lvl>`;
  return zip({
    "[Content_Types].xml": contentTypes([
      ["/word/document.xml", `${OOXML}.wordprocessingml.document.main+xml`],
      ["/word/styles.xml", `${OOXML}.wordprocessingml.styles+xml`],
      ["/word/numbering.xml", `${OOXML}.wordprocessingml.numbering+xml`],
    ]),
    "_rels/.rels": relsXml([["rId1", "officeDocument", "word/document.xml"]]),
    "word/_rels/document.xml.rels": relsXml([
      ["rId1", "styles", "styles.xml"],
      ["rId2", "numbering", "numbering.xml"],
    ]),
    "word/document.xml": `${XML}<w:document ${W} ${R}><w:body>${body}<w:sectPr/></w:body></w:document>`,
    "word/styles.xml": `${XML}<w:styles ${W}><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`,
    "word/numbering.xml":
      `${XML}<w:numbering ${W}>` +
      `<w:abstractNum w:abstractNumId="0">${level("bullet", "•")}</w:abstractNum>` +
      `<w:abstractNum w:abstractNumId="1">${level("decimal", "%1.")}</w:abstractNum>` +
      '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>' +
      "</w:numbering>",
  });
}

export interface Slide {
  title: string;
  body?: string[];
  /** A table on the slide, rows of cells. */
  table?: string[][];
  notes?: string;
}

/**
 * A PowerPoint deck (slides, a table, speaker notes), without the masters and themes PowerPoint itself
 * wants. The slide files are numbered backwards (the first slide is the last file) so that slide order can
 * only come from ppt/presentation.xml, as in decks whose slides were reordered.
 */
export function pptx(slides: Slide[]): Uint8Array {
  const n = slides.length;
  const fileOf = (i: number) => n - i; // slide i (0-based) is ppt/slides/slide{n-i}.xml
  const paragraph = (text: string) => `<a:p><a:r><a:rPr lang="en-US"/><a:t>${esc(text)}</a:t></a:r></a:p>`;
  const shape = (id: number, ph: string, paragraphs: string[]) =>
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="s${id}"/><p:cNvSpPr/><p:nvPr>${ph}</p:nvPr></p:nvSpPr><p:spPr/>` +
    `<p:txBody><a:bodyPr/>${paragraphs.map(paragraph).join("")}</p:txBody></p:sp>`;
  const tree = (shapes: string) =>
    `<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>${shapes}</p:spTree></p:cSld>`;
  const table = (rows: string[][]) =>
    '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="9" name="t"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm/>' +
    `<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>${rows
      .map((r) => `<a:tr h="0">${r.map((c) => `<a:tc><a:txBody><a:bodyPr/>${paragraph(c)}</a:txBody></a:tc>`).join("")}</a:tr>`)
      .join("")}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>`;
  const parts: Record<string, string> = {};
  const types: Array<[string, string]> = [["/ppt/presentation.xml", `${OOXML}.presentationml.presentation.main+xml`]];
  slides.forEach((s, i) => {
    const f = fileOf(i);
    const shapes =
      shape(2, '<p:ph type="title"/>', [s.title]) +
      (s.body ? shape(3, '<p:ph idx="1"/>', s.body) : "") +
      (s.table ? table(s.table) : "") +
      shape(4, '<p:ph type="sldNum" idx="12"/>', [String(i + 1)]);
    parts[`ppt/slides/slide${f}.xml`] = `${XML}<p:sld ${A} ${R} ${P}>${tree(shapes)}</p:sld>`;
    types.push([`/ppt/slides/slide${f}.xml`, `${OOXML}.presentationml.slide+xml`]);
    if (s.notes !== undefined) {
      parts[`ppt/slides/_rels/slide${f}.xml.rels`] = relsXml([["rId2", "notesSlide", `../notesSlides/notesSlide${f}.xml`]]);
      parts[`ppt/notesSlides/notesSlide${f}.xml`] =
        `${XML}<p:notes ${A} ${R} ${P}>${tree(shape(2, '<p:ph type="sldImg"/>', []) + shape(3, '<p:ph type="body" idx="1"/>', [s.notes]) + shape(4, '<p:ph type="sldNum" idx="5"/>', [String(i + 1)]))}</p:notes>`;
      types.push([`/ppt/notesSlides/notesSlide${f}.xml`, `${OOXML}.presentationml.notesSlide+xml`]);
    }
  });
  return zip({
    "[Content_Types].xml": contentTypes(types),
    "_rels/.rels": relsXml([["rId1", "officeDocument", "ppt/presentation.xml"]]),
    "ppt/presentation.xml": `${XML}<p:presentation ${A} ${R} ${P}><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 10}"/>`).join("")}</p:sldIdLst></p:presentation>`,
    "ppt/_rels/presentation.xml.rels": relsXml(slides.map((_, i) => [`rId${i + 10}`, "slide", `slides/slide${fileOf(i)}.xml`])),
    ...parts,
  });
}

export type OdsCell = string | number | Date | null;

/**
 * An OpenDocument spreadsheet. Like LibreOffice's own files, each row ends in a run of empty cells repeated to
 * the sheet's width and each sheet in a repeated empty row a million high; `repeatRow` repeats a row's cells.
 */
export function ods(sheets: Array<{ name: string; rows: OdsCell[][]; repeatRow?: number[] }>): Uint8Array {
  const cell = (v: OdsCell) => {
    if (v === null) return "<table:table-cell/>";
    if (typeof v === "number") return `<table:table-cell office:value-type="float" office:value="${v}"><text:p>${v}</text:p></table:table-cell>`;
    if (v instanceof Date) {
      const iso = v.toISOString().slice(0, 10);
      return `<table:table-cell office:value-type="date" office:date-value="${iso}"><text:p>${iso.split("-").reverse().join("/")}</text:p></table:table-cell>`;
    }
    return `<table:table-cell office:value-type="string"><text:p>${esc(v)}</text:p></table:table-cell>`;
  };
  const tables = sheets
    .map(
      (s) =>
        `<table:table table:name="${esc(s.name)}"><table:table-column table:number-columns-repeated="1024"/>` +
        s.rows
          .map((r, i) => `<table:table-row${s.repeatRow?.includes(i) ? ' table:number-rows-repeated="3"' : ""}>${r.map(cell).join("")}<table:table-cell table:number-columns-repeated="1020"/></table:table-row>`)
          .join("") +
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>',
    )
    .join("");
  const ns =
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" ' +
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"';
  return zipSync(
    {
      // The mimetype entry comes first and is stored, as ODF requires.
      mimetype: [strToU8("application/vnd.oasis.opendocument.spreadsheet"), { level: 0 }],
      "META-INF/manifest.xml": strToU8(
        `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">` +
          '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>' +
          '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
      ),
      "content.xml": strToU8(`${XML}<office:document-content ${ns}><office:body><office:spreadsheet>${tables}</office:spreadsheet></office:body></office:document-content>`),
    },
    { level: 6 },
  );
}

/** An EPUB 3 book: one XHTML document per chapter, in spine order. */
export function epub(title: string, chapters: Array<{ heading: string; paragraphs: string[] }>): Uint8Array {
  const parts: Zippable = {
    mimetype: [strToU8("application/epub+zip"), { level: 0 }],
    "META-INF/container.xml": strToU8(
      `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    ),
    "OEBPS/content.opf": strToU8(
      `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(title)}</dc:title></metadata>` +
        `<manifest>${chapters.map((_, i) => `<item id="c${i}" href="text/chapter%20${i + 1}.xhtml" media-type="application/xhtml+xml"/>`).join("")}</manifest>` +
        `<spine>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join("")}</spine></package>`,
    ),
  };
  chapters.forEach((c, i) => {
    parts[`OEBPS/text/chapter ${i + 1}.xhtml`] = strToU8(
      `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${esc(c.heading)}</title></head><body><h1>${esc(c.heading)}</h1>${c.paragraphs.map((p) => `<p>${esc(p)}</p>`).join("")}</body></html>`,
    );
  });
  return zipSync(parts, { level: 6 });
}

export interface RawEntry {
  name: string;
  /** The entry's data as stored in the archive (deflated when `method` is 8). */
  data: Uint8Array;
  method: 0 | 8;
  /** What the directory declares: the inflated size and its CRC-32, true or not. */
  size: number;
  crc: number;
}

/** A ZIP written field by field, so that its directory can say what the tests need it to say. */
export function rawZip(entries: RawEntry[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data));
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

/**
 * `mib` MiB of zeros, deflated (~1 KiB per MiB) without ever holding them: one full-flushed 16 MiB block (no
 * back-references out of it, so copies of it in a row are a valid stream) repeated, then an empty final block.
 * Also returns their CRC-32, which makes the bomb a well-formed ZIP entry.
 */
export function deflatedZeros(mib: number): { data: Uint8Array; size: number; crc: number } {
  const blockMib = 16;
  if (mib % blockMib !== 0) throw new Error(`deflatedZeros: a multiple of ${blockMib} MiB`);
  const zeros = Buffer.alloc(blockMib * 2 ** 20);
  const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const copies = mib / blockMib;
  let crc = 0;
  for (let i = 0; i < copies; i++) crc = zlib.crc32(zeros, crc);
  return { data: new Uint8Array(Buffer.concat([...Array(copies).fill(block), Buffer.from([0x03, 0x00])])), size: mib * 2 ** 20, crc };
}

/** A deflated ZIP entry with a true directory entry. */
export function entry(name: string, content: string | Uint8Array): RawEntry {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
  return { name, data: new Uint8Array(zlib.deflateRawSync(bytes)), method: 8, size: bytes.length, crc: zlib.crc32(bytes) };
}

/** The content types part of a Word document, for hostile DOCX files. */
export const DOCX_CONTENT_TYPES = contentTypes([["/word/document.xml", `${OOXML}.wordprocessingml.document.main+xml`]]);
export const DOCX_ROOT_RELS = relsXml([["rId1", "officeDocument", "word/document.xml"]]);
