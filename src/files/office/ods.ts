/**
 * OpenDocument spreadsheets (.ods): content.xml's `table:table` elements, one page per sheet (its position,
 * 1-based), rows as sheet-text.ts writes them. A cell reads as it is shown (`text:p`), but dates as their ISO
 * `office:date-value` (a display like 05/03/24 is ambiguous), formulas as their cached result.
 *
 * Repeats are honoured without being expanded: LibreOffice ends every sheet with one empty row repeated a
 * million times and every row with empty cells repeated to the sheet's width; an empty repeat only moves the
 * column (or row) on, a repeated cell with a value is written up to the sheet width, and a repeated row with
 * values is written once, saying how many times it stands.
 *
 * content.xml holds every sheet and can be large; fast-xml-parser builds a tree of what it parses (~6 MB/s),
 * so the rows are cut out textually (rows do not nest in a spreadsheet) and parsed 500 at a time, with the
 * event loop free between batches.
 */
import type { ExtractedPage } from "../extraction.js";
import { RowBudget, SHEET_PART_CHARS, SheetText, type CellValue } from "./sheet-text.js";
import { attrOf, childrenOf, parseXml, tagOf, textOfNode, type XmlNode } from "./xml.js";
import type { ZipArchive } from "./zip-guard.js";

/** Excel's width; a value repeated further is not written further. */
const MAX_COLUMNS = 16_384;
const ROWS_PER_PARSE = 500;

const TABLE = /<table:table(?=[\s>/])([^>]*?)(\/?)>/g;
const TABLE_END = "</table:table>";
const ROW_SOURCE = /<table:table-row(?=[\s>/])[^>]*?(?:\/>|>[\s\S]*?<\/table:table-row>)/.source;

export async function* odsPages(zip: ZipArchive, budget = new RowBudget()): AsyncGenerator<ExtractedPage> {
  const content = zip.text("content.xml");
  if (content === null) throw new Error("the content part 'content.xml' is missing");
  const ROW = new RegExp(ROW_SOURCE, "g"); // its own: files of two lanes may be read side by side
  let position = 0;
  for (const table of content.matchAll(TABLE)) {
    position += 1;
    const attrs = parseXml(`<t${table[1]}/>`)[0] ?? {};
    const sheet = new SheetText(`Sheet ${position}: ${attrOf(attrs, "table:name") ?? `Sheet${position}`}`);
    const start = table.index + table[0].length;
    const end = table[2] ? start : content.indexOf(TABLE_END, start);
    if (end < 0) throw new Error(`sheet ${position} has no end`);
    let first = true;
    const part = (): ExtractedPage | null => {
      const text = sheet.take();
      if (!text || (first && !sheet.hasRows)) return null;
      first = false;
      return { page: position, text, standalone: true };
    };
    let batch: string[] = [];
    const flush = () => {
      for (const row of parseXml(`<rows>${batch.join("")}</rows>`).flatMap(childrenOf)) {
        if (tagOf(row) !== "table:table-row") continue;
        const { cells, count } = rowCells(row);
        if (count === 0) continue; // an empty row, repeated or not
        if (!budget.take(count)) return false;
        sheet.add(cells, Number(attrOf(row, "table:number-rows-repeated") ?? 1));
      }
      batch = [];
      return true;
    };
    ROW.lastIndex = start;
    for (let m = ROW.exec(content); m && m.index < end; m = ROW.exec(content)) {
      batch.push(m[0]);
      if (batch.length < ROWS_PER_PARSE) continue;
      if (!flush()) break;
      if (sheet.pending >= SHEET_PART_CHARS) {
        const page = part();
        if (page) yield page;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!budget.exhausted) flush();
    if (budget.exhausted) sheet.note(budget.note());
    const page = part();
    if (page) yield page;
    if (budget.exhausted) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A row's cells by 0-based column, and how many have a value. */
function rowCells(row: XmlNode): { cells: CellValue[]; count: number } {
  const cells: CellValue[] = [];
  let col = 0;
  let count = 0;
  for (const cell of childrenOf(row)) {
    const tag = tagOf(cell);
    if (tag !== "table:table-cell" && tag !== "table:covered-table-cell") continue;
    const repeat = Math.max(1, Number(attrOf(cell, "table:number-columns-repeated") ?? 1) || 1);
    const value = tag === "table:table-cell" ? cellValue(cell) : null;
    if (value !== null && value !== "") {
      for (let i = 0; i < repeat && col + i < MAX_COLUMNS; i++) cells[col + i] = value;
      count += Math.min(repeat, Math.max(0, MAX_COLUMNS - col));
    }
    col += repeat;
    if (col >= MAX_COLUMNS) break;
  }
  return { cells, count };
}

function cellValue(cell: XmlNode): CellValue {
  const type = attrOf(cell, "office:value-type");
  if (type === "date") {
    const iso = attrOf(cell, "office:date-value");
    if (iso) return iso.replace("T", " ").replace(/(\d\d:\d\d):00(\.0+)?$/, "$1").replace(/ 00:00$/, "");
  }
  const paragraphs = childrenOf(cell).filter((c) => tagOf(c) === "text:p").map(inlineText);
  if (paragraphs.length) return paragraphs.join(" ");
  return attrOf(cell, "office:value") ?? attrOf(cell, "office:string-value") ?? null;
}

/** A text:p's text: spans and links, `text:s` (c spaces), tabs and line breaks as spaces; notes left out. */
function inlineText(node: XmlNode): string {
  let text = "";
  for (const child of childrenOf(node)) {
    const t = textOfNode(child);
    if (t !== null) {
      text += t;
      continue;
    }
    const tag = tagOf(child);
    if (tag === "text:s") text += " ".repeat(Math.min(100, Math.max(1, Number(attrOf(child, "text:c") ?? 1) || 1)));
    else if (tag === "text:tab" || tag === "text:line-break") text += " ";
    else if (tag !== "office:annotation" && tag !== "text:note") text += inlineText(child);
  }
  return text;
}
