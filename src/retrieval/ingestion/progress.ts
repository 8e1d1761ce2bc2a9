/**
 * How far the reading of each file being ingested has got: pages read (from a PDF's text layer, by OCR, or a
 * slide or sheet) of the pages the file has, where its format says so up front. A scan takes seconds per page,
 * so a client polling the vector store file sees it move (`progress` on the file while it is in progress: beyond
 * the hosted API, which shows only the status). Kept in memory by the process indexing the file: nothing is
 * written per page.
 */
import type { FileProgress } from "../../api/wire.js";

export class IngestionProgress {
  private readonly files = new Map<string, FileProgress>();

  /** Starts counting a file's pages afresh (a re-added file starts again); returns its counters. */
  start(storeId: string, fileId: string): { pageCount(pages: number): void; pageRead(): void } {
    const progress: FileProgress = { pages_done: 0, pages_total: null };
    const key = keyOf(storeId, fileId);
    this.files.set(key, progress);
    // Counters of a file that was started again (or forgotten) no longer count: a read-ahead still draining.
    const mine = () => this.files.get(key) === progress;
    return {
      pageCount: (pages) => {
        if (mine()) progress.pages_total = pages;
      },
      pageRead: () => {
        if (mine()) progress.pages_done += 1;
      },
    };
  }

  /** A copy of the file's progress, or null when it is not being read (queued, or settled). */
  of(storeId: string, fileId: string): FileProgress | null {
    const progress = this.files.get(keyOf(storeId, fileId));
    return progress ? { ...progress } : null;
  }

  /** The file settled or was stopped; without `fileId`, every file of the store. */
  forget(storeId: string, fileId?: string): void {
    if (fileId !== undefined) {
      this.files.delete(keyOf(storeId, fileId));
      return;
    }
    const prefix = `${storeId}/`;
    for (const key of this.files.keys()) if (key.startsWith(prefix)) this.files.delete(key);
  }
}

function keyOf(storeId: string, fileId: string): string {
  return `${storeId}/${fileId}`;
}
