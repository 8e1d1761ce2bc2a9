/**
 * Compiles src/ to dist/ for `npm start`: each TypeScript file to one JavaScript file at the same place (esbuild,
 * no bundling of our modules, so workers' `new URL("./x.mjs", import.meta.url)` and the Playground's files resolve
 * as in src/), every other file copied. Why not run src/ through tsx as the tests do: its loader costs the server
 * ~36 MB of memory (a hooks thread and esbuild's transforms) and transforms every module at each start.
 * Types are checked by `npm run typecheck` (tsc), not here.
 *
 * One dependency is bundled: zod, into dist/vendor/zod.js, which the compiled modules import instead of "zod".
 * Why: zod is 95 modules (64 of them locales that only `z.locales` reaches, and the server never does), and Node
 * keeps a module's records for each one; as one file without the locales the idle server holds less (see
 * BENCHMARKS.md, "Idle memory: zod as one module").
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const src = path.join(root, "src");
const out = path.join(root, "dist");
const vendorZod = path.join(out, "vendor", "zod.js");

const files = fs.readdirSync(src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
const isDeclaration = (f) => f.endsWith(".d.ts") || f.endsWith(".d.mts");
const typescript = files.filter((f) => f.endsWith(".ts") && !isDeclaration(f));

/** zod's `z.locales` namespace, left empty: each locale is a module. English, its default, stays: zod's schemas import it directly. */
const withoutLocales = {
  name: "zod-without-locales",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: "zod-locales", namespace: "empty" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/**
 * esbuild leaves import paths as written when it does not bundle, so the compiled modules' `from "zod"` is
 * rewritten here, each to its relative path to the bundled copy. A zod import in any other form fails the build
 * rather than loading a second zod beside the first.
 */
function pointZodImportsAtVendorCopy(compiled) {
  for (const file of compiled) {
    const code = fs.readFileSync(file, "utf8");
    if (!code.includes('"zod"')) continue;
    const relative = path.relative(path.dirname(file), vendorZod).split(path.sep).join("/");
    const rewritten = code.replaceAll('import { z } from "zod";', `import { z } from "${relative.startsWith(".") ? relative : `./${relative}`}";`);
    if (rewritten.includes('"zod"')) throw new Error(`${path.relative(root, file)} imports zod in a form the build does not rewrite (only \`import { z } from "zod"\`)`);
    fs.writeFileSync(file, rewritten);
  }
}

fs.rmSync(out, { recursive: true, force: true });
await build({ entryPoints: typescript, outdir: out, outbase: src, format: "esm", platform: "node", target: "node20", logLevel: "warning" });
pointZodImportsAtVendorCopy(typescript.map((f) => path.join(out, path.relative(src, f)).replace(/\.ts$/, ".js")));
await build({
  stdin: { contents: 'export { z } from "zod";', resolveDir: root, sourcefile: "vendor-zod.js" },
  outfile: vendorZod,
  bundle: true,
  plugins: [withoutLocales],
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
for (const file of files.filter((f) => !f.endsWith(".ts") && !isDeclaration(f))) {
  const to = path.join(out, path.relative(src, file));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(file, to);
}
console.log(`built ${typescript.length} modules into dist/, and zod into ${path.relative(root, vendorZod)}`);
