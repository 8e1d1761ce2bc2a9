/**
 * One store's word statistics for query expansion (term-stats.ts), kept beside its LanceDB table: counted from
 * every row while the store is small (then kept up to date by adds), else from TERM_SAMPLE_BLOCKS evenly
 * spaced blocks of rows; read again once a tenth of the rows has changed since.
 */
import type * as lancedb from "@lancedb/lancedb";
import { TermStats } from "./term-stats.js";

// Word statistics are counted from every row up to this many, else from an even sample of this many.
const TERM_SAMPLE_ROWS = 4000;
const TERM_SAMPLE_BLOCKS = 16;

interface Reading {
  stats: Promise<TermStats>;
  /** Counted from every row (so adds can be counted as they come) rather than from a sample. */
  complete: boolean;
  /** The statistics once counted (adds are counted into them while `complete`). */
  counted: TermStats | null;
  /** Rows in the table when counted (and the adds counted since). */
  rows: number;
  /** Rows added or deleted since, not counted: past a tenth of `rows`, the statistics are read again. */
  drift: number;
}

export class StoreTermStats {
  /** Null until first needed (a store that never expands a query never reads them), or after a failed read. */
  private reading: Reading | null = null;

  constructor(private readonly table: lancedb.Table) {}

  /** The statistics, read now if never read or drifted too far. */
  get(): Promise<TermStats> {
    const current = this.reading;
    if (current && current.drift <= current.rows / 10) return current.stats;
    // Until counted, rows = ∞: writes meanwhile add drift, and no second reading starts.
    const reading: Reading = { stats: Promise.resolve(new TermStats()), counted: null, complete: false, rows: Number.POSITIVE_INFINITY, drift: 0 };
    reading.stats = (async () => {
      const rows = await this.table.countRows();
      const texts = await sampleTexts(this.table, rows);
      const counted = new TermStats(texts);
      Object.assign(reading, { counted, rows, complete: texts.length === rows });
      return counted;
    })();
    reading.stats.catch(() => this.reading === reading && (this.reading = null)); // read again next time
    this.reading = reading;
    return reading.stats;
  }

  /**
   * Rows just added: counted in while the statistics cover every row and stay within TERM_SAMPLE_ROWS;
   * otherwise they are drift, read with the next sample.
   */
  added(texts: string[]): void {
    const r = this.reading;
    if (!r) return;
    if (r.complete && r.counted && r.counted.chunks + texts.length <= TERM_SAMPLE_ROWS) {
      for (const text of texts) r.counted.add(text);
      r.rows += texts.length;
    } else r.drift += texts.length;
  }

  removed(rows: number): void {
    if (this.reading) this.reading.drift += rows;
  }
}

/**
 * The `text` of every row of a table of `rows` rows when there are at most `sampleRows`, else of `blocks` runs
 * of rows spread evenly over it (a table reads in the order rows were added: runs over all of it sample every
 * part of the store, not only its first files).
 */
export async function sampleTexts(table: lancedb.Table, rows: number, sampleRows = TERM_SAMPLE_ROWS, blocks = TERM_SAMPLE_BLOCKS): Promise<string[]> {
  const read = async (offset: number, limit: number) =>
    (await table.query().select(["text"]).offset(offset).limit(limit).toArray()).map((r: Record<string, unknown>) => String(r.text));
  if (rows <= sampleRows) return read(0, sampleRows);
  const run = Math.max(1, Math.floor(sampleRows / blocks));
  const runs = await Promise.all(Array.from({ length: blocks }, (_, i) => read(Math.floor((i * rows) / blocks), run)));
  return runs.flat();
}
