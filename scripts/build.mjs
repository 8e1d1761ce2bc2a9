/**
 * Compiles src/ to dist/ for `npm start`: each TypeScript file to one JavaScript file at the same place (esbuild,
 * no bundling, so workers' `new URL("./x.mjs", import.meta.url)` and the Playground's files resolve as in src/),
 * every other file copied. Why not run src/ through tsx as the tests do: its loader costs the server ~36 MB
 * of memory (a hooks thread and esbuild's transforms) and transforms every module at each start.
 * Types are checked by `npm run typecheck` (tsc), not here.
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const src = path.join(root, "src");
const out = path.join(root, "dist");

const files = fs.readdirSync(src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
const isDeclaration = (f) => f.endsWith(".d.ts") || f.endsWith(".d.mts");
const typescript = files.filter((f) => f.endsWith(".ts") && !isDeclaration(f));

fs.rmSync(out, { recursive: true, force: true });
await build({ entryPoints: typescript, outdir: out, outbase: src, format: "esm", platform: "node", target: "node20", logLevel: "warning" });
for (const file of files.filter((f) => !f.endsWith(".ts") && !isDeclaration(f))) {
  const to = path.join(out, path.relative(src, file));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(file, to);
}
console.log(`built ${typescript.length} modules into dist/`);
