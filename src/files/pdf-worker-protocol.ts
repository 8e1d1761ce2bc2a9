/** Messages between WorkerPdfReader and its worker thread (pdf-worker.mjs). */

/** To the worker. (To stop a document, the reader writes its id into the shared `stop` cell of workerData.) */
export type ToPdfWorker = { type: "parse"; id: number; bytes: Uint8Array };

/** workerData: `stop` is a 4-byte SharedArrayBuffer holding the id of a document to stop (Int32). */
export interface PdfWorkerData {
  stop: SharedArrayBuffer;
}

/**
 * From the worker; every parse ends with exactly one `done` or `error`. `started`: the worker (loaded, pdf.js
 * imported on first use) begins this document; its time limit counts from here, not from the worker's start.
 */
export type FromPdfWorker =
  | { type: "started"; id: number }
  | { type: "page"; id: number; page: number; text: string }
  | { type: "done"; id: number }
  | { type: "error"; id: number; name: string; message: string };
