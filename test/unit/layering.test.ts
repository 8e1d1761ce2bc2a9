/**
 * The import rules of docs/ARCHITECTURE.md, checked over src/: no import cycles (type-only imports count: a
 * type cycle couples modules as tightly), and every import goes to a layer its layer may use. The composition
 * root (composition/) builds everything, and nothing in src/ but main.ts imports it.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../../src");

/** A module's layer: its folder under src/, or its own name for a top-level file. */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length > 1) return rel[0]!;
  const name = rel[0]!.replace(/\.(ts|mjs|js)$/, "");
  return ["clock", "config", "config-lists", "errors", "ids", "tls", "log", "metrics"].includes(name) ? "base" : name;
}

/**
 * What each layer may import besides itself. Lower layers never import higher ones; `base` (wire types, errors,
 * ids, clock, config, concurrency primitives) is everyone's.
 */
const BASE = ["base", "api", "concurrency"];
export const ALLOWED: Record<string, string[]> = {
  base: ["api"],
  api: [],
  concurrency: [],
  store: [...BASE],
  // Several server processes on one store: which node executes what (leases), and signals between nodes.
  cluster: [...BASE, "store"],
  llm: [...BASE],
  sandbox: [...BASE],
  files: [...BASE, "store"],
  objects: [...BASE, "store"],
  retrieval: [...BASE, "store", "llm", "files", "objects"],
  tools: [...BASE, "store", "llm", "files", "sandbox", "retrieval"],
  runs: [...BASE, "store", "llm", "objects", "tools", "cluster"],
  responses: [...BASE, "store", "llm", "files", "objects", "tools", "runs", "cluster"],
  chat: [...BASE, "llm", "tools", "runs"],
  http: [...BASE, "store", "files", "objects", "retrieval", "runs", "responses", "llm", "chat"],
  playground: [...BASE],
  app: [...BASE, "http", "playground", "objects", "runs", "responses", "files", "retrieval", "store", "llm", "chat"],
  doctor: [...BASE, "llm"],
  // npm run models:pull: the embedded engine's model files.
  "models-pull": [...BASE, "llm"],
  // Command-line clients of the HTTP API (npm run export / import): nothing of the server.
  cli: [],
  // The composition root and the entry point may use everything.
  composition: ["*"],
  main: ["*"],
};

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "playground" ? [] : sourceFiles(full); // browser modules: a separate program
    return /\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") && !e.name.endsWith(".d.mts") ? [full] : [];
  });
}

/** Relative imports (static, dynamic, type-only, re-exports) of each file, resolved to files under src/. */
function importGraph(files: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => resolve(file, spec))
      .filter((t): t is string => t !== null);
    graph.set(file, targets);
  }
  return graph;
}

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`, path.join(base, "index.ts")];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? null;
}

/** Imports that break the layer table, as "from → to" (relative to src/). */
export function layerViolations(graph: Graph, allowed = ALLOWED): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    const may = allowed[layer];
    for (const to of targets) {
      const target = layerOf(to);
      if (target === layer || may?.includes("*") || may?.includes(target)) continue;
      out.push(`${path.relative(SRC, from)} (${layer}) → ${path.relative(SRC, to)} (${target})`);
    }
  }
  return out;
}

/** Every cycle's files (strongly connected components of more than one file, or a file importing itself). */
export function cycles(graph: Graph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.map((f) => path.relative(SRC, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe("layering of src/", () => {
  const graph = importGraph(sourceFiles(SRC));

  it("reads the real import graph (every file found, imports resolved)", () => {
    expect(graph.size).toBeGreaterThan(80);
    const runService = [...graph.entries()].find(([f]) => f.endsWith(path.join("runs", "run-service.ts")))!;
    expect(runService[1].some((t) => t.endsWith(path.join("runs", "run-stream.ts")))).toBe(true);
  });

  it("has no import cycle, type-only imports included", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("imports only go where docs/ARCHITECTURE.md's layers allow", () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it("nothing in src/ but main.ts imports the composition root", () => {
    const importers = [...graph.entries()]
      .filter(([from, targets]) => layerOf(from) !== "composition" && targets.some((t) => layerOf(t) === "composition"))
      .map(([from]) => path.relative(SRC, from));
    expect(importers).toEqual(["main.ts"]);
  });

  it("every layer is in the table (a new folder needs a rule)", () => {
    const layers = new Set([...graph.keys()].map(layerOf));
    expect([...layers].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it("the checks catch what they are for (a cycle, an upward import)", () => {
    const a = path.join(SRC, "store", "a.ts");
    const b = path.join(SRC, "runs", "b.ts");
    const fake: Graph = new Map([
      [a, [b]],
      [b, [a]],
    ]);
    expect(cycles(fake)).toEqual([["runs/b.ts", "store/a.ts"]]);
    expect(layerViolations(fake)).toEqual(["store/a.ts (store) → runs/b.ts (runs)"]);
  });
});
