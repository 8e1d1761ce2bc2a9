/**
 * A table (a spreadsheet's sheet, a CSV) as text to index: one paragraph per row, each cell named by its
 * column's header — `Item: Lanterns | Cost: 12.5 | Date: 2024-03-05`.
 *
 * Why "Header: value" on every row rather than a header line and bare rows: a chunk from the middle of a long
 * sheet would otherwise be numbers without meaning, both to a model reading it and to a search for "cost of
 * lanterns" (BM25 then finds the header's words next to the values; headers occur in every chunk, so their
 * low IDF costs other words nothing). Rows are paragraphs, so chunks end between rows, not inside one.
 */

export type CellValue = string | number | boolean | Date | null | undefined;

/** Rows and cells read from one spreadsheet at most; the rest is left out with a note (see `RowBudget`). */
export const SHEET_LIMITS = Object.freeze({ maxRows: 100_000, maxCells: 1_000_000 });

/**
 * What is left of a spreadsheet's row and cell limits, shared by its sheets. A workbook past them is read up
 * to them and the text says what was left out: its first 100,000 rows are usually what people search, and
 * exceljs reads ~30,000 rows a second, so a million-row export would hold its ingestion lane for half a minute.
 */
export class RowBudget {
  private rows = 0;
  private cells = 0;
  exhausted = false;

  constructor(private readonly limits: { maxRows: number; maxCells: number } = SHEET_LIMITS) {}

  /** Counts a row of `cells` cells; false (and exhausted from now on) when it is past the limits. */
  take(cells: number): boolean {
    if (this.exhausted || this.rows + 1 > this.limits.maxRows || this.cells + cells > this.limits.maxCells) {
      this.exhausted = true;
      return false;
    }
    this.rows += 1;
    this.cells += cells;
    return true;
  }

  note(): string {
    const { maxRows, maxCells } = this.limits;
    return (
      `[The rest of this spreadsheet is not indexed: at most ${maxRows.toLocaleString("en-US")} rows and ` +
      `${maxCells.toLocaleString("en-US")} cells are read from one file. Split it into smaller files to index the rest.]`
    );
  }
}

/**
 * Builds one sheet's text row by row; the first non-empty row is the header if it looks like one. A long
 * sheet is taken in parts (`take`), each a page of its own with the sheet's number, so that chunking keeps
 * pace with reading instead of waiting for the whole sheet.
 */
export class SheetText {
  private lines: string[] = [];
  private header: string[] | null = null;
  private sawFirst = false;
  private size = 0;

  /** `title` opens the text (e.g. `Sheet 2: Budget`); null for none. */
  constructor(title: string | null) {
    if (title) this.push(title);
  }

  /** Adds a row (cells by 0-based column; holes and empty cells are skipped); `repeated` > 1 says so. */
  add(cells: readonly CellValue[], repeated = 1): void {
    const values: Array<[number, string]> = [];
    cells.forEach((cell, col) => {
      const text = formatCell(cell);
      if (text !== "") values.push([col, text]);
    });
    if (values.length === 0) return;
    if (!this.sawFirst) {
      this.sawFirst = true;
      if (looksLikeHeader(cells, values)) {
        this.header = [];
        for (const [col, text] of values) this.header[col] = text;
        this.push(`Columns: ${values.map(([, t]) => t).join(" | ")}`);
        return;
      }
    }
    const named = values.map(([col, text]) => `${this.header?.[col] ?? columnName(col)}: ${text}`).join(" | ");
    this.push(repeated > 1 ? `${named} (this row ${repeated.toLocaleString("en-US")} times)` : named);
  }

  /** Appends a note paragraph (e.g. the row limit's). */
  note(text: string): void {
    this.push(text);
  }

  /** Whether any row had a value. */
  get hasRows(): boolean {
    return this.sawFirst;
  }

  /** Characters of text not yet taken. */
  get pending(): number {
    return this.size;
  }

  /** The text since the last take ("" when none); the header stays for the rows that follow. */
  take(): string {
    const text = this.lines.join("\n\n");
    this.lines = [];
    this.size = 0;
    return text;
  }

  private push(line: string): void {
    this.lines.push(line);
    this.size += line.length + 2;
  }
}

/** Characters of sheet text per page part: ~60,000 tokens, chunked in well under 100 ms. */
export const SHEET_PART_CHARS = 256 * 1024;

/**
 * A header row has at least two cells, all text that is not a number or date, all different: a single text
 * cell is as likely the first value of a one-column list, and a row with numbers or dates is data (a CSV's
 * numbers are text too, hence the look of the text).
 */
function looksLikeHeader(cells: readonly CellValue[], values: Array<[number, string]>): boolean {
  if (values.length < 2) return false;
  if (values.some(([col, text]) => typeof cells[col] !== "string" || NUMBER_OR_DATE.test(text))) return false;
  return new Set(values.map(([, t]) => t)).size === values.length;
}

const NUMBER_OR_DATE = /^[-+(]?[$€£¥]?\s?[\d.,' ]*\d[\d.,' ]*\)?\s?%?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b/;

/** Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnName(col: number): string {
  let name = "";
  for (let n = col + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** A cell as it should read: numbers to 15 significant digits (Excel's precision), dates as ISO dates. */
export function formatCell(cell: CellValue): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "number") return Number.isFinite(cell) ? String(Number(cell.toPrecision(15))) : "";
  if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
  if (cell instanceof Date) return formatDate(cell);
  // One row is one line: line breaks inside a cell become spaces.
  return cell.replace(/\s+/g, " ").trim();
}

/**
 * Spreadsheet dates have no time zone: exceljs gives them as UTC wall-clock times. A whole day reads as
 * `2024-03-05`, a time of day alone (serial < 1) as `13:30`, both as `2024-03-05 13:30`.
 */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  const iso = date.toISOString(); // 2024-03-05T13:30:00.000Z
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replace(/:00$/, "");
  if (time === "00:00") return day;
  if (day === "1899-12-30" || day === "1899-12-31") return time;
  return `${day} ${time}`;
}
