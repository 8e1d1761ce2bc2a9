/**
 * Excel workbooks (.xlsx, .xlsm, .xltx) through exceljs's streaming reader: one page per sheet, its number the
 * sheet's tab position (1-based, hidden sheets and chart sheets counted, as Excel shows them); rows as
 * sheet-text.ts writes them. Formulas read as their cached result (what Excel last showed), dates as ISO dates.
 *
 * Streaming rather than `Workbook.xlsx.load`: load holds every cell as an object (100,000 rows x 5 columns:
 * ~340 MB of heap, the event loop held for up to 1 s), the reader goes row by row (its longest hold ~80 ms)
 * and can stop at the row limit. The reader takes parts in ZIP order and names sheets by file name, so it
 * gets a repacked copy: workbook, styles and shared strings first, then the worksheets in tab order renamed
 * `sheet<position>.xml`, and an empty relationships part (its lookup would rename them otherwise).
 */
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import type { ExtractedPage } from "../extraction.js";
import { RowBudget, SHEET_PART_CHARS, SheetText, type CellValue } from "./sheet-text.js";
import { attrOf, findAll, findFirst, parseXml, relationships } from "./xml.js";
import type { RepackPart, ZipArchive } from "./zip-guard.js";

const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const EMPTY_RELS = new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>');
const EMPTY_STRINGS = new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

interface SheetRef {
  position: number;
  name: string;
  part: string;
}

export async function* xlsxPages(zip: ZipArchive, budget = new RowBudget()): AsyncGenerator<ExtractedPage> {
  const workbookXml = zip.text("xl/workbook.xml");
  if (workbookXml === null) throw new Error("the workbook part 'xl/workbook.xml' is missing");
  const workbook = parseXml(workbookXml);
  const rels = relationships(zip.text("xl/_rels/workbook.xml.rels"), "xl/");
  const sheets: SheetRef[] = [];
  findAll(workbook, "sheet").forEach((s, i) => {
    const rel = rels.get(attrOf(s, "r:id") ?? "");
    if (rel && rel.type === `${REL}/worksheet` && zip.has(rel.target)) sheets.push({ position: i + 1, name: attrOf(s, "name") ?? `Sheet${i + 1}`, part: rel.target });
  });
  const pr = findFirst(workbook, "workbookPr");
  const date1904 = ["1", "true"].includes(attrOf(pr ?? {}, "date1904") ?? "");
  const partOf = (type: string) => [...rels.values()].find((r) => r.type === `${REL}/${type}` && !r.external)?.target;
  const strings = partOf("sharedStrings");
  const styles = partOf("styles");
  const parts: RepackPart[] = [
    { name: "xl/workbook.xml" },
    { as: "xl/_rels/workbook.xml.rels", data: EMPTY_RELS },
    ...(styles ? [{ name: styles, as: "xl/styles.xml" }] : []),
    // Without shared strings the reader would spool every sheet to a temporary file first.
    strings && zip.has(strings) ? { name: strings, as: "xl/sharedStrings.xml" } : { as: "xl/sharedStrings.xml", data: EMPTY_STRINGS },
    ...sheets.map((s) => ({ name: s.part, as: `xl/worksheets/sheet${s.position}.xml` })),
  ];
  const input = Readable.from(pieces(zip.repack(parts)));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: "cache", styles: "cache", hyperlinks: "ignore", worksheets: "emit", entries: "ignore" });
  const byPosition = new Map(sheets.map((s) => [s.position, s]));
  try {
    for await (const worksheet of reader) {
      const ref = byPosition.get(Number((worksheet as unknown as { id: string | number }).id));
      if (!ref) continue;
      const sheet = new SheetText(`Sheet ${ref.position}: ${ref.name}`);
      let first = true;
      const part = (): ExtractedPage | null => {
        const text = sheet.take();
        if (!text || (first && !sheet.hasRows)) return null;
        first = false;
        return { page: ref.position, text, standalone: true };
      };
      for await (const row of worksheet as unknown as AsyncIterable<ExcelJS.Row>) {
        const cells = rowCells(row, date1904);
        if (!budget.take(cells.filter((c) => c !== null && c !== undefined && c !== "").length)) break;
        sheet.add(cells);
        if (sheet.pending >= SHEET_PART_CHARS) {
          const page = part();
          if (page) yield page;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (budget.exhausted) sheet.note(budget.note());
      const page = part();
      if (page) yield page;
      if (budget.exhausted) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    input.destroy();
  }
}

/**
 * The archive in 64 KiB pieces: handed over as one buffer, the reader's unzip stream copies what is left of it
 * at every step (a 113 MB sheet took 39 s to reach its first row).
 */
function* pieces(bytes: Uint8Array): Generator<Buffer> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < buffer.length; at += 65_536) yield buffer.subarray(at, at + 65_536);
}

/** A row's values by 0-based column (exceljs's `values` start at 1). */
function rowCells(row: ExcelJS.Row, date1904: boolean): CellValue[] {
  const values = row.values as unknown[];
  const cells: CellValue[] = [];
  for (let col = 1; col < values.length; col++) {
    const v = values[col];
    if (v === undefined || v === null) continue;
    cells[col - 1] = cellValue(v, () => isDateFormat(row.getCell(col).numFmt), date1904);
  }
  return cells;
}

function cellValue(v: unknown, dateFormatted: () => boolean, date1904: boolean): CellValue {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v instanceof Date) return v;
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.richText)) return (o.richText as Array<{ text?: string }>).map((r) => r.text ?? "").join("");
  if ("formula" in o || "sharedFormula" in o) {
    const result = o.result;
    if (typeof result === "number" && dateFormatted()) return excelDate(result, date1904);
    return result === undefined ? null : cellValue(result, () => false, date1904);
  }
  if (typeof o.error === "string") return o.error;
  if ("text" in o) return cellValue(o.text, () => false, date1904); // a hyperlink: its text
  return null;
}

/** Excel's serial day numbers (1900 system: day 1 is 1900-01-01, with its phantom 1900-02-29) as UTC dates. */
function excelDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial + 1462 : serial;
  return new Date(Math.round((days - 25569) * 86_400_000));
}

/** Whether a number format shows a date or time: d, m, y, h or s outside quoted text, escapes and [colors]. */
function isDateFormat(format: string | undefined): boolean {
  if (!format || format === "General") return false;
  const bare = format.replace(/"[^"]*"|\\.|\[[^\]]*\]/g, "");
  return /[dmyhs]/i.test(bare);
}
