// Undoes what pdf.js's legacy build does to the thread's builtins. Plain JavaScript, for the same reason as
// pdf-pages.mjs (the PDF worker runs it without a TypeScript loader).
//
// The legacy build (the one that runs on Node 20) bundles core-js, which replaces Array.prototype.push with a
// JavaScript polyfill (V8 mishandles array-likes whose length passes 2^32) and JSON.parse with one that passes
// source text to revivers. Neither matters to pdf.js, but every push and parse in the thread then runs the
// slow copy: in a CPU profile of the 117-page PDF the polyfilled push and its `length` setter took 11 % of the
// parse, and putting the natives back made it ~15 % faster (bench/ingestion.ts).
//
// The natives are taken when this module is evaluated: it must be imported before pdf-parse (pdf-pages.mjs
// imports it statically and pdf-parse dynamically). pdf.js's worker half is loaded later (pdfjs-shared-heap.mjs),
// and it installs the polyfills again, so `restorePdfjsBuiltins` is called after each document load; it costs
// two comparisons when nothing changed.

const NATIVE = [
  [Array.prototype, "push", Array.prototype.push],
  [JSON, "parse", JSON.parse],
];

export function restorePdfjsBuiltins() {
  for (const [owner, name, native] of NATIVE) {
    if (owner[name] !== native) Object.defineProperty(owner, name, { value: native, writable: true, configurable: true, enumerable: false });
  }
}
