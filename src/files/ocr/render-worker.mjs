// Worker-thread side of PageRenderer (page-renderer.ts): renders PDF pages to PNG with pdf-parse's screenshot
// support (pdf.js drawing on @napi-rs/canvas), one page at a time, in the order asked. Plain JavaScript, started
// without a TypeScript loader (as pdf-worker.mjs, for the same reason: pdf.js under tsx's loader costs ~10x the
// heap). Documents stay open between pages until closed. Messages:
//   in:  {type: "open", doc, bytes} | {type: "render", doc, req, page, dpi, maxPixels} | {type: "close", doc}
//   out: {type: "ready"} | {type: "image", req, png, width, height} | {type: "error", req, name, message}
import { parentPort } from "node:worker_threads";

if (!parentPort) throw new Error("the page renderer must run in a worker thread");
const { PDFParse } = await import("pdf-parse");
const port = parentPort;
port.postMessage({ type: "ready" });

/** Open documents by id. */
const docs = new Map();

async function render(msg) {
  const parser = docs.get(msg.doc);
  if (!parser) throw new Error("the document is not open");
  // The page's size in points (1/72 inch), to render at `dpi` but never past `maxPixels`.
  const info = await parser.getInfo({ parsePageInfo: true, partial: [msg.page] });
  const size = info.pages?.[0];
  if (!size || !(size.width > 0) || !(size.height > 0)) throw new Error(`page ${msg.page} has no size`);
  let scale = msg.dpi / 72;
  const pixels = size.width * scale * (size.height * scale);
  if (pixels > msg.maxPixels) scale *= Math.sqrt(msg.maxPixels / pixels);
  const shot = await parser.getScreenshot({ partial: [msg.page], scale, imageDataUrl: false, imageBuffer: true });
  const image = shot.pages[0];
  if (!image) throw new Error(`page ${msg.page} was not rendered`);
  // pdf-parse copies the canvas's PNG into a Uint8Array of its own: it can be transferred.
  port.postMessage({ type: "image", req: msg.req, png: image.data, width: Math.floor(image.width), height: Math.floor(image.height) }, [image.data.buffer]);
}

async function handle(msg) {
  switch (msg.type) {
    case "open":
      // The bytes were transferred to this thread: pdf.js may keep (and detach) them.
      docs.set(msg.doc, new PDFParse({ data: msg.bytes, verbosity: 0 }));
      return;
    case "close": {
      const parser = docs.get(msg.doc);
      docs.delete(msg.doc);
      await parser?.destroy().catch(() => undefined);
      return;
    }
    case "render":
      try {
        await render(msg);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ type: "error", req: msg.req, name: e.name, message: e.message });
      }
      return;
  }
}

// One message at a time, in order: a render never overlaps another (pdf.js and the canvas are CPU-bound anyway).
let queue = Promise.resolve();
port.on("message", (msg) => {
  queue = queue.then(() => handle(msg));
});
