// pdf.js's worker half in this thread, with the text it extracts passed on without a copy. Plain JavaScript,
// for the same reason as pdf-pages.mjs (the PDF worker runs it without a TypeScript loader).
//
// In Node, pdf.js runs its "worker" (the parser) in the calling thread behind a fake worker whose port
// structured-clones every message, although both ends share one heap: every page's text items were copied once
// more on their way to us. In a CPU profile of the 117-page PDF that clone was ~14 % of the parse, plus the
// garbage it left. pdf.js takes a port of one's own (PDFWorker({ port }) on the main side,
// WorkerMessageHandler.initializeFromPort on the worker side); this one is pdf.js's loopback port except for
// the batches of a page's text content, handed over as they are, one level copied, and messages of plain
// strings and numbers, copied without the clone's serialisation (see handOver).
//
// Why one level, and only text batches: the worker reuses the batch object it sent. After
// `sink.enqueue(textContent)` it sets `textContent.items = []` and a new `styles`, so the receiver, a microtask
// later, must get the arrays the batch held when it was sent; the items in them are new objects per batch and
// never touched again. Other chunks are not so: an operator list's arrays are emptied in place once sent. Every
// other message holding an object is cloned, as before, so nothing else relies on what pdf.js does after
// sending; so is any message with transfers.

/** The two ends of pdf.js's messaging on one object, as pdf.js's own loopback port has them. */
class SharedHeapPort {
  /** @type {Set<(event: { data: unknown }) => void>} */
  #listeners = new Set();
  // Delivered a microtask later, as pdf.js's loopback port does: a sender goes on before its message arrives.
  #delivered = Promise.resolve();

  /**
   * @param {Record<string, unknown>} message
   * @param {Transferable[]} [transfer]
   */
  postMessage(message, transfer) {
    const event = { data: handOver(message, transfer) };
    void this.#delivered.then(() => {
      for (const listener of this.#listeners) listener.call(this, event);
    });
  }

  /**
   * pdf.js's message handlers listen until their `signal` aborts (a document's handler, when the document is
   * destroyed): without that, every document ever parsed would keep a listener here.
   * @param {string} _type
   * @param {(event: { data: unknown }) => void} listener
   * @param {{ signal?: AbortSignal } | null} [options]
   */
  addEventListener(_type, listener, options = null) {
    const signal = options?.signal;
    if (signal?.aborted) return;
    this.#listeners.add(listener);
    signal?.addEventListener("abort", () => this.#listeners.delete(listener), { once: true });
  }

  /** How many listen now (a test checks destroyed documents leave none behind). */
  get listenerCount() {
    return this.#listeners.size;
  }

  /** @param {string} _type @param {(event: { data: unknown }) => void} listener */
  removeEventListener(_type, listener) {
    this.#listeners.delete(listener);
  }

  terminate() {
    this.#listeners.clear();
  }
}

/**
 * What the receiving end gets of `message`: a page's text batch one level copied (see above); a message of
 * nothing but strings and numbers (a stream's flow control: two such messages per text batch, ~80 per page)
 * copied as it is, which is all a clone of it does; anything else structured-cloned, as pdf.js's port does.
 * @param {Record<string, unknown>} message
 * @param {Transferable[]} [transfer]
 */
function handOver(message, transfer) {
  if (transfer?.length) return structuredClone(message, { transfer });
  if (message.stream !== undefined && isTextBatch(message.chunk)) return { ...message, chunk: { ...message.chunk } };
  for (const key in message) if (!isPrimitive(message[key])) return structuredClone(message);
  return { ...message };
}

/** @param {unknown} value */
function isPrimitive(value) {
  const type = typeof value;
  return value === null || type === "string" || type === "number" || type === "boolean" || type === "undefined";
}

/**
 * A batch of a page's text content ({ items, styles, lang }), the one kind of chunk known to be safe to hand
 * over one level copied. Not an operator list's chunk ({ fnArray, argsArray, ... }): after sending one, pdf.js
 * empties those very arrays (`fnArray.length = 0`), so it must be cloned.
 * @param {unknown} chunk
 * @returns {chunk is { items: unknown[], styles: object }}
 */
function isTextBatch(chunk) {
  if (chunk === null || typeof chunk !== "object") return false;
  const { items, styles } = /** @type {{ items?: unknown, styles?: unknown }} */ (chunk);
  return Array.isArray(items) && styles !== null && typeof styles === "object";
}

/** @type {Promise<unknown> | null} */
let worker = null;

/**
 * The PDFWorker every document of this thread is parsed by (pass it as getDocument's `worker`): made on first
 * use, and kept, since a document's loading task leaves a worker it was given alone when it is destroyed.
 */
export function sharedHeapWorker() {
  worker ??= (async () => {
    const [{ PDFWorker }, { WorkerMessageHandler }] = await Promise.all([import("pdfjs-dist/legacy/build/pdf.mjs"), import("pdfjs-dist/legacy/build/pdf.worker.mjs")]);
    const port = new SharedHeapPort();
    WorkerMessageHandler.initializeFromPort(port);
    // verbosity 0: no console warnings (the loading task's own verbosity reaches only a worker it makes itself).
    const w = new PDFWorker({ port, verbosity: 0 });
    await w.promise;
    return w;
  })();
  return worker;
}
