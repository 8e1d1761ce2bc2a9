// Worker-thread side of WorkerPdfReader (pdf-worker-reader.ts): parses one document at a time and posts its
// pages as they come. Plain JavaScript, started without a TypeScript loader (see pdf-pages.mjs). The reader
// terminates this thread on a time limit or crash, so nothing here needs a deadline of its own.
// The messages are typed in pdf-worker-protocol.ts.
import { parentPort, workerData } from "node:worker_threads";
import { pdfPages } from "./pdf-pages.mjs";

if (!parentPort) throw new Error("the PDF worker must run in a worker thread");
// pdf.js loaded before the first document: its load does not count against that document's time limit.
await import("pdf-parse");
const port = parentPort;
// The id of a document the reader no longer wants, written by the reader. Shared memory, not a message:
// pdf.js parses in one long chain of promises, so a "stop" message would wait until the document is done.
const stopRequested = new Int32Array(workerData.stop);

async function parse(id, bytes) {
  port.postMessage({ type: "started", id });
  try {
    // The bytes were transferred to this thread: nobody else uses them, no copy needed.
    for await (const { page, text } of pdfPages(bytes, { owned: true })) {
      if (Atomics.load(stopRequested, 0) === id) break;
      port.postMessage({ type: "page", id, page, text });
    }
    port.postMessage({ type: "done", id });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ type: "error", id, name: e.name, message: e.message });
  }
}

// Parses run one after another: the reader sends the next document only after this one's done/error.
let queue = Promise.resolve();
port.on("message", (msg) => {
  queue = queue.then(() => parse(msg.id, msg.bytes));
});
