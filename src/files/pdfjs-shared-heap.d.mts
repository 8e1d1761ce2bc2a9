/** Types of pdfjs-shared-heap.mjs (plain JavaScript: see pdf-pages.mjs why). */
import type { PDFWorker } from "pdfjs-dist/legacy/build/pdf.mjs";

/** The PDFWorker this thread's documents are parsed by: pdf.js's worker half, in this thread. */
export function sharedHeapWorker(): Promise<PDFWorker>;
