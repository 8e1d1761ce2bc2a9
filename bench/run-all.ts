/**
 * `npm run bench`: runs every benchmark in bench/ as its own child process, one after another (so they do not
 * compete for the CPU), collects the `BENCH {json}` lines they print (see bench-report.ts), prints one summary
 * table and writes it into BENCHMARKS.md with the machine the figures came from (its own part of the file only:
 * the sections written by hand stay). A benchmark is any bench/*.ts file
 * that no other bench file imports (those are helpers). Only figures actually measured go in.
 *
 *   npm run bench                                  # everything, writes BENCHMARKS.md
 *   npm run bench -- --only api-throughput,memory  # a subset (BENCHMARKS.md untouched unless --write)
 *   npm run bench -- --skip retrieval-quality --timeout 900
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../test/helpers/server-process.js";
import type { BenchFigure } from "./bench-report.js";

const BENCH_DIR = path.join(REPO_ROOT, "bench");
const REPORT = path.join(REPO_ROOT, "BENCHMARKS.md");

interface Outcome {
  name: string;
  seconds: number;
  exitCode: number | null;
  figures: BenchFigure[];
  /** The tail of the output, shown in BENCHMARKS.md for a benchmark that printed no BENCH line. */
  tail: string[];
}

interface Args {
  only: string[] | null;
  skip: string[];
  timeoutS: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const list = (flag: string) => value(flag)?.split(",").map((s) => s.trim().replace(/\.ts$/, "")).filter(Boolean);
  const only = list("--only") ?? null;
  return { only, skip: list("--skip") ?? [], timeoutS: Number(value("--timeout") ?? 1800), write: only === null || argv.includes("--write") };
}

/** bench/*.ts minus run-all, type declarations and helpers (files another bench file imports). */
function discover(dir = BENCH_DIR): string[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "run-all.ts");
  const imported = new Set<string>();
  for (const f of files) {
    for (const m of fs.readFileSync(path.join(dir, f), "utf8").matchAll(/from\s+["']\.\/([\w.-]+)\.js["']/g)) imported.add(`${m[1]}.ts`);
  }
  return files.filter((f) => !imported.has(f)).map((f) => f.replace(/\.ts$/, "")).sort();
}

function runOne(name: string, timeoutS: number): Promise<Outcome> {
  return new Promise((resolve) => {
    console.log(`\n━━ ${name} ━━ (node --import tsx bench/${name}.ts)`);
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", path.join("bench", `${name}.ts`)], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    const onData = (d: Buffer) => {
      process.stdout.write(d);
      output += d.toString("utf8");
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    // Its own process group: a benchmark's server children go down with it on timeout.
    const timer = setTimeout(() => {
      output += `\n[run-all] timed out after ${timeoutS} s\n`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutS * 1000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const lines = output.split("\n");
      resolve({
        name,
        seconds: (performance.now() - started) / 1000,
        exitCode: code,
        figures: lines.flatMap(parseBenchLine),
        tail: lines.filter((l) => l.trim() !== "").slice(-25),
      });
    });
  });
}

function parseBenchLine(line: string): BenchFigure[] {
  const match = /^BENCH (\{.*\})\s*$/.exec(line.trim());
  if (!match) return [];
  try {
    const f = JSON.parse(match[1]!) as Partial<BenchFigure>;
    if (typeof f.name !== "string" || typeof f.value !== "number") return [];
    return [{ name: f.name, value: f.value, unit: f.unit ?? "", baseline: f.baseline ?? null, goal: f.goal ?? null, ...(f.baseline_name ? { baseline_name: f.baseline_name } : {}), ...(f.met !== undefined ? { met: f.met } : {}) }];
  } catch {
    return [];
  }
}

const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));

function rows(outcomes: Outcome[]): string[][] {
  const out: string[][] = [];
  for (const o of outcomes) {
    if (o.figures.length === 0) out.push([o.name, o.exitCode === 0 ? "(no BENCH line: see its output below)" : `(failed: exit ${o.exitCode})`, "", "", "", "", ""]);
    for (const f of o.figures) {
      // A ratio to a near-zero baseline (an overhead beside a zero-latency model) says nothing.
      const ratio = f.baseline && f.value !== 0 && Math.abs(f.baseline) >= Math.abs(f.value) / 100 ? `${(f.value / f.baseline).toFixed(2)}×` : "";
      const baseline = f.baseline === null ? "" : `${num(f.baseline)} ${f.unit}${f.baseline_name ? ` (${f.baseline_name})` : ""}`;
      const met = (f.met ?? goalMet(f)) === undefined ? "" : (f.met ?? goalMet(f)) ? "met" : "NOT met";
      out.push([o.name, f.name, `${num(f.value)} ${f.unit}`, baseline, ratio, f.goal ?? "", met]);
    }
  }
  return out;
}

/** For a bench that printed a plain goal (`<= 5`, `>= 100`) without saying whether it was met. */
function goalMet(f: BenchFigure): boolean | undefined {
  const m = /^\s*(<=|>=)\s*(-?[\d.]+)\s*$/.exec(f.goal ?? "");
  if (!m) return undefined;
  return m[1] === "<=" ? f.value <= Number(m[2]) : f.value >= Number(m[2]);
}

const HEADER = ["benchmark", "figure", "value", "baseline (same run)", "ratio", "goal", ""];

function printTable(outcomes: Outcome[]): void {
  const table = [HEADER, ...rows(outcomes)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log("\n━━ summary ━━");
  for (const [i, r] of table.entries()) {
    console.log(r.map((c, j) => c.padEnd(widths[j]!)).join("  ").trimEnd());
    if (i === 0) console.log(widths.map((w) => "─".repeat(w)).join("  "));
  }
  for (const o of outcomes) console.log(`  ${o.name}: ${o.seconds.toFixed(0)} s, exit ${o.exitCode}`);
}

function machine(): Record<string, string> {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  return {
    "CPUs (nproc)": String(os.availableParallelism()),
    "CPU model": /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown",
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    OS: `${os.type()} ${os.release()} (${os.arch()})`,
    Node: process.version,
    date: new Date().toISOString(),
  };
}

/**
 * The part of BENCHMARKS.md this command writes lies between these lines; everything else in the file (the
 * figures measured by hand, with the reasons for each change) is kept as it is.
 */
const GENERATED_FROM = "<!-- written by `npm run bench` (bench/run-all.ts) from here; edits below are replaced -->";
const GENERATED_TO = "<!-- written by `npm run bench` up to here -->";
const TITLE = "# Benchmarks\n";

/** `existing` (the file as it is, or null) with its generated part replaced by `generated`. */
export function withGenerated(existing: string | null, generated: string): string {
  const block = `${GENERATED_FROM}\n\n${generated.trim()}\n\n${GENERATED_TO}`;
  if (existing === null) return `${TITLE}\n${block}\n`;
  const from = existing.indexOf(GENERATED_FROM);
  const to = existing.indexOf(GENERATED_TO);
  if (from !== -1 && to > from) return existing.slice(0, from) + block + existing.slice(to + GENERATED_TO.length);
  // A file without the markers (written by hand, or by an older version): nothing of it is lost, the
  // generated part goes first, under the title.
  const rest = existing.startsWith(TITLE) ? existing.slice(TITLE.length) : existing;
  return `${TITLE}\n${block}\n\n${rest.trimStart()}`;
}

function markdown(outcomes: Outcome[], command: string): string {
  const m = machine();
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    "The latest figures of `npm run bench` (bench/run-all.ts), written by that command: every benchmark in `bench/` ran as its",
    "own process, one after another, and each figure is printed beside a baseline measured in the same run.",
    "Figures move with the machine and its load; compare ratios, and rerun on your machine before drawing conclusions.",
    "",
    "## Machine",
    "",
    ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
    "",
    "## Reproduce",
    "",
    "```bash",
    command,
    "```",
    "",
    "## Figures",
    "",
    `| ${HEADER.map(esc).join(" | ")} |`,
    `|${HEADER.map(() => "---").join("|")}|`,
    ...rows(outcomes).map((r) => `| ${r.map(esc).join(" | ")} |`),
    "",
    "## Runs",
    "",
    ...outcomes.map((o) => `- \`bench/${o.name}.ts\`: ${o.seconds.toFixed(0)} s, exit ${o.exitCode}, ${o.figures.length} figure(s)`),
  ];
  const quiet = outcomes.filter((o) => o.figures.length === 0);
  if (quiet.length > 0) {
    lines.push("", "## Output of benchmarks that print no BENCH line", "");
    for (const o of quiet) lines.push(`### ${o.name}`, "", "```", ...o.tail, "```", "");
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const all = discover();
  const unknown = (args.only ?? []).filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`no benchmark named ${unknown.join(", ")}; have: ${all.join(", ")}`);
  const chosen = all.filter((n) => (args.only === null || args.only.includes(n)) && !args.skip.includes(n));
  console.log(`benchmarks: ${chosen.join(", ")}`);
  const outcomes: Outcome[] = [];
  for (const name of chosen) outcomes.push(await runOne(name, args.timeoutS));
  printTable(outcomes);
  if (args.write) {
    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
    const existing = fs.existsSync(REPORT) ? fs.readFileSync(REPORT, "utf8") : null;
    fs.writeFileSync(REPORT, withGenerated(existing, markdown(outcomes, command)));
    console.log(`\nwrote ${path.relative(process.cwd(), REPORT)}`);
  }
  if (outcomes.some((o) => o.exitCode !== 0)) process.exitCode = 1;
}

// Only as a command: a test imports withGenerated.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
