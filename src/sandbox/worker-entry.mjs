// Entry of the sandbox worker thread. In dist/ (npm start: scripts/build.mjs compiled it) the worker is
// JavaScript beside this file. In src/ it is TypeScript, and a worker does not reliably inherit the parent's
// TypeScript loader (vitest transforms in-process, tsx registers hooks, plain node has none), so it is loaded
// through tsx's scoped API, which works the same under all of them.
import fs from "node:fs";

const compiled = new URL("./worker.js", import.meta.url);
if (fs.existsSync(compiled)) await import(compiled.href);
else await (await import("tsx/esm/api")).tsImport("./worker.ts", import.meta.url);
