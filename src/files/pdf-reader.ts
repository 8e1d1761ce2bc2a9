/**
 * Where PDFs are parsed. The server parses in a worker thread (WorkerPdfReader, pdf-worker-reader.ts): a
 * 100-page PDF keeps a thread busy for most of a second, which must not stall the API, and a hostile PDF
 * that exhausts memory or never finishes must cost its file only. Tests and benchmarks that call
 * extractText directly may parse in their own thread (inThreadPdfReader).
 */
import { pdfPages, type PdfPage } from "./pdf-pages.mjs";

export type { PdfPage } from "./pdf-pages.mjs";

export interface PdfReader {
  /**
   * The document's pages in order, each as soon as it is parsed. Throws pdf.js's errors (by name, e.g.
   * "PasswordException") or a PdfLimitError. Aborting `signal`, or leaving the loop early, stops the parse.
   * `onTotal` is told the page count once the document is open, before its first page.
   */
  pages(bytes: Uint8Array, signal?: AbortSignal, onTotal?: (pages: number) => void): AsyncIterable<PdfPage>;
  close(): Promise<void>;
}

/** A parse stopped by a resource limit (time, memory, pages, inflated bytes); `message` says which and what to do. */
export class PdfLimitError extends Error {
  override readonly name = "PdfLimitError";
}

/** Parses in the calling thread. */
export const inThreadPdfReader: PdfReader = {
  async *pages(bytes, signal, onTotal) {
    signal?.throwIfAborted();
    for await (const page of pdfPages(bytes, { onLoad: onTotal })) {
      signal?.throwIfAborted();
      yield page;
    }
  },
  async close() {},
};
