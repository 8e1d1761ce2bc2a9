/** Messages between WorkerPdfReader and its worker threads (pdf-worker.mjs). */
import type { PdfLimits } from "./pdf-pages.mjs";

/**
 * To a worker: parse document `id`, taking pages from the shared counter `next` (an Int32 cell; a worker
 * claims page n by adding 1 and getting n - 1). Every worker on one document gets the same counter, so each
 * page is parsed once. The reader stops a document by setting the counter to PAGE_CLAIMS_STOPPED. `limits`: the
 * document's page and inflated-size caps, checked by the first worker only (helpers join a document that passed).
 */
export type ToPdfWorker = { type: "parse"; id: number; bytes: Uint8Array; next: SharedArrayBuffer; limits?: PdfLimits };

/** A counter at or past this hands out no more pages (far above any real page count, far below 2^31). */
export const PAGE_CLAIMS_STOPPED = 2 ** 30;

/**
 * From a worker; every parse ends with exactly one `done` or `error`. `ready`: pdf.js is imported (once per
 * worker; a helper not yet ready is only worth waiting for on a long document). `started`: the worker (loaded, pdf.js
 * imported on first use) begins this document; its time limit counts from here, not from the worker's start.
 * `loaded`: the document is open and has `total` pages; no page is parsed yet.
 */
export type FromPdfWorker =
  | { type: "ready" }
  | { type: "started"; id: number }
  | { type: "loaded"; id: number; total: number }
  | { type: "page"; id: number; page: number; text: string }
  | { type: "done"; id: number }
  | { type: "error"; id: number; name: string; message: string };
