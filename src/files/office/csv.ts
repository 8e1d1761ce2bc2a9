/**
 * CSV and TSV files as tables: rows written as sheet-text.ts writes a spreadsheet's (`Header: value | ...`),
 * so a chunk from the middle of a long CSV keeps its column names. Quoted fields (RFC 4180: commas, quotes
 * and line breaks inside quotes) are read; a CSV's delimiter is the one of `,` `;` and tab its first line uses
 * most. A file that does not parse as a table (an unclosed quote), or has more rows than a spreadsheet is read
 * to, stays the plain text it was: nothing is lost.
 */
import type { ExtractedPage } from "../extraction.js";
import { SHEET_LIMITS, SHEET_PART_CHARS, SheetText } from "./sheet-text.js";

/** Larger texts stay plain: the table text is about twice the CSV. */
const MAX_CHARS = 64 * 2 ** 20;

/** The delimiter a file of this extension or type is read with as a table; null: not a table. */
export function tableDelimiter(ext: string, mime?: string): string | null {
  if (ext === "tsv" || mime === "text/tab-separated-values") return "\t";
  if (ext === "csv" || mime === "text/csv") return "";
  return null;
}

/**
 * The pages of a delimited text (`delimiter` "" = guess among `,` `;` tab), each part of ~256 KiB of table
 * text with page null; null when it is no table to read (see above).
 */
export function delimitedPages(text: string, delimiter: string): ExtractedPage[] | null {
  if (text.length > MAX_CHARS) return null;
  const rows = parseDelimited(text, delimiter || guessDelimiter(text), SHEET_LIMITS.maxRows);
  if (rows === null || rows.length < 2 || rows.every((r) => r.length < 2)) return null;
  const sheet = new SheetText(null);
  const pages: ExtractedPage[] = [];
  for (const row of rows) {
    sheet.add(row);
    if (sheet.pending >= SHEET_PART_CHARS) pages.push({ page: null, text: sheet.take() });
  }
  const rest = sheet.take();
  if (rest) pages.push({ page: null, text: rest });
  return pages;
}

function guessDelimiter(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const count = (d: string) => firstLine.split(d).length - 1;
  return [",", ";", "\t"].reduce((best, d) => (count(d) > count(best) ? d : best), ",");
}

/** Rows of fields; null when a quote is left open or there are more than `maxRows` rows. */
export function parseDelimited(text: string, delimiter: string, maxRows: number): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    field = "";
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === "") {
      // A quoted field: "" is a quote; it ends at a quote not followed by another.
      let j = i + 1;
      let value = "";
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      field = value;
      i = j;
      // Text after the closing quote (malformed, but common) belongs to the field.
      while (i < text.length && text[i] !== delimiter && text[i] !== "\n" && text[i] !== "\r") field += text[i++];
      continue;
    }
    if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      endRow();
      if (rows.length > maxRows) return null;
      if (c === "\r" && text[i + 1] === "\n") i += 1;
    } else if (c === '"') {
      field += c; // a quote inside an unquoted field is text
    } else {
      const next = nextSpecial(text, i, delimiter);
      field += text.slice(i, next);
      i = next;
      continue;
    }
    i += 1;
  }
  if (field !== "" || row.length) endRow();
  return rows.length > maxRows ? null : rows;
}

/** The index of the next delimiter, quote or line break at or after `from` (or the end). */
function nextSpecial(text: string, from: number, delimiter: string): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === delimiter || c === "\n" || c === "\r" || c === '"') return i;
    i += 1;
  }
  return i;
}
