// Entry of the sandbox worker thread. A worker does not reliably inherit the parent's TypeScript loader
// (vitest transforms in-process, tsx registers hooks, plain node has none), so this plain-ESM file loads the
// TypeScript worker through tsx's scoped API, which works the same under all of them.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
