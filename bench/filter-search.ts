/**
 * The cost of a search's attribute filter: the largest filter the schema allows (FILTER_LIMITS: nodes, depth,
 * full `in` lists) tested against every file of a 500-file store, compiled once per search (what the server
 * does) beside a direct recursive reading of the filter per file (what it did before), in the same process.
 * Before the bounds, a 4 MB filter was accepted, and held the event loop ~1.8 s per search over 500 files.
 *
 *   npx tsx bench/filter-search.ts [searches=200] [files=500]
 */
import { FILTER_LIMITS, type AttributeFilter } from "../src/api/vector-stores.js";
import type { FileAttributes } from "../src/api/wire.js";
import { compileFilter } from "../src/retrieval/attribute-filter.js";
import { median } from "./bench-app.js";
import { benchLine, round } from "./bench-report.js";

const [SEARCHES = 200, FILES = 500] = process.argv.slice(2).map(Number);

/** The evaluator before compilation: the filter's JSON walked again for every file, arrays searched linearly. */
function directReading(f: AttributeFilter, a: FileAttributes): boolean {
  if ("filters" in f) return f.type === "and" ? f.filters.every((g) => directReading(g, a)) : f.filters.some((g) => directReading(g, a));
  const actual = a[f.key];
  if (f.type === "eq") return actual === f.value;
  if (f.type === "ne") return actual !== f.value;
  const member = Array.isArray(f.value) && actual !== undefined && typeof actual !== "boolean" && (f.value as unknown[]).includes(actual);
  if (f.type === "in") return member;
  if (f.type === "nin") return !member;
  return typeof actual === typeof f.value && (f.type === "gt" ? actual! > f.value : f.type === "gte" ? actual! >= f.value : f.type === "lt" ? actual! < f.value : actual! <= f.value);
}

function largestFilter(): AttributeFilter {
  const leaf = (i: number): AttributeFilter => ({ type: "in", key: "tag", value: Array.from({ length: FILTER_LIMITS.inValues }, (_, j) => `t${i}-${j}`) });
  const leaves = Array.from({ length: FILTER_LIMITS.nodes - 16 - FILTER_LIMITS.depth }, (_, i) => leaf(i));
  const groups: AttributeFilter[] = [];
  for (let i = 0; i < leaves.length; i += 31) groups.push({ type: "or", filters: leaves.slice(i, i + 31) });
  let f: AttributeFilter = { type: "or", filters: groups };
  for (let d = 3; d < FILTER_LIMITS.depth; d++) f = { type: "and", filters: [f] };
  return f;
}

const files: FileAttributes[] = Array.from({ length: FILES }, (_, i) => ({ tag: `t${i % 300}-${i % 97}`, year: 2000 + (i % 25) }));
const filter = largestFilter();
const time = (fn: () => number): number[] =>
  Array.from({ length: SEARCHES }, () => {
    const t0 = performance.now();
    if (fn() < 0) throw new Error("unreachable");
    return performance.now() - t0;
  });
const compiled = () => {
  const matches = compileFilter(filter);
  return files.filter((a) => matches(a)).length;
};
const direct = () => files.filter((a) => directReading(filter, a)).length;
if (compiled() !== direct()) throw new Error("the compiled filter and the direct reading disagree");
time(compiled); // warm-up
time(direct);
const [c, d] = [median(time(compiled)), median(time(direct))];
console.log(`\nAttribute filter over ${FILES} files, largest allowed filter (${FILTER_LIMITS.nodes} nodes max, depth ${FILTER_LIMITS.depth}, ${FILTER_LIMITS.inValues}-value in lists), median of ${SEARCHES} searches, Node ${process.version}\n`);
console.log(`  direct reading per file (before)   ${d.toFixed(2).padStart(8)} ms per search`);
console.log(`  compiled once per search (now)     ${c.toFixed(2).padStart(8)} ms per search   ${(d / c).toFixed(1)}x faster\n`);
benchLine({ name: "filter_largest_500_files_ms", value: round(c, 2), unit: "ms", baseline: round(d, 2), baseline_name: "the same filter read directly per file (before compiling)", goal: null });
