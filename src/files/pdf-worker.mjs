// Worker-thread side of WorkerPdfReader (pdf-worker-reader.ts): parses one document at a time and posts its
// pages as they come. Plain JavaScript, started without a TypeScript loader (see pdf-pages.mjs). The reader
// terminates this thread on a time limit or crash, so nothing here needs a deadline of its own.
// The messages are typed in pdf-worker-protocol.ts.
import { parentPort } from "node:worker_threads";
import { pdfPages } from "./pdf-pages.mjs";
import { sharedHeapWorker } from "./pdfjs-shared-heap.mjs";

if (!parentPort) throw new Error("the PDF worker must run in a worker thread");
// pdf.js loaded, and its worker half set up, before the first document: neither counts against that
// document's time limit.
await import("pdf-parse");
await sharedHeapWorker();
const port = parentPort;
port.postMessage({ type: "ready" });
// pdf-worker-protocol.ts's PAGE_CLAIMS_STOPPED (this file runs without a TypeScript loader, so not imported).
const PAGE_CLAIMS_STOPPED = 2 ** 30;

async function parse(id, bytes, nextCell, limits) {
  // The page counter is shared with the reader and any other worker on this document. Shared memory, not
  // messages: pdf.js parses in one long chain of promises, so a "stop" message would wait until the end.
  const next = new Int32Array(nextCell);
  const claim = () => {
    const page = Atomics.add(next, 0, 1) + 1;
    return page > PAGE_CLAIMS_STOPPED ? null : page;
  };
  port.postMessage({ type: "started", id });
  // Stopped before this worker got to it (a helper, typically): no need to load the document at all.
  if (Atomics.load(next, 0) >= PAGE_CLAIMS_STOPPED) {
    port.postMessage({ type: "done", id });
    return;
  }
  try {
    // The bytes were transferred to this thread: nobody else uses them, no copy needed.
    const onLoad = (total) => port.postMessage({ type: "loaded", id, total });
    for await (const { page, text } of pdfPages(bytes, { owned: true, claim, onLoad, limits })) {
      port.postMessage({ type: "page", id, page, text });
    }
    port.postMessage({ type: "done", id });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ type: "error", id, name: e.name, message: e.message });
  }
}

// Parses run one after another: the reader sends this worker the next document only after this one's done/error.
let queue = Promise.resolve();
port.on("message", (msg) => {
  queue = queue.then(() => parse(msg.id, msg.bytes, msg.next, msg.limits));
});
