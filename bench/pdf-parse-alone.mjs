// The baseline of bench/ingestion.ts: pdf-parse's getText on a whole PDF, as a plain Node script would run it.
// A separate process without tsx's loader: in the benchmark's own process pdf.js would run under that loader
// (~200 MB more heap), and its garbage would be collected during the end-to-end measurements beside it.
// Protocol (IPC): receives a file path, answers { ms, pages } (or { error }).
import { readFileSync } from "node:fs";
import { PDFParse } from "pdf-parse";

process.on("message", async (path) => {
  try {
    const bytes = new Uint8Array(readFileSync(path));
    const t0 = performance.now();
    const parser = new PDFParse({ data: bytes, verbosity: 0 });
    const result = await parser.getText();
    await parser.destroy();
    process.send({ ms: performance.now() - t0, pages: result.total });
  } catch (err) {
    process.send({ error: String(err) });
  }
});
process.send({ ready: true });
