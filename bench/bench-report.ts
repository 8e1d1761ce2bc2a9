/**
 * Shared by the benchmarks: the one machine-readable line each figure is printed as (bench/run-all.ts
 * collects them into the summary table and BENCHMARKS.md), a bare Hono server as the baseline process, and
 * small statistics helpers.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { REPO_ROOT, startServer, type ServerProcess } from "../test/helpers/server-process.js";

export interface BenchFigure {
  /** snake_case, unique across benchmarks, e.g. `api_get_assistant_rps`. */
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline, measured in the same run (null when there is none). */
  baseline: number | null;
  /** What the baseline is, e.g. "bare Hono route". */
  baseline_name?: string;
  /** The goal as written in the issue, e.g. ">= 0.5x baseline", "<= 150". */
  goal: string | null;
  /** Whether the goal was met (absent when there is no goal). */
  met?: boolean;
}

/** Prints `BENCH {json}` — one line per figure, parsed by bench/run-all.ts. */
export function benchLine(figure: BenchFigure): void {
  console.log(`BENCH ${JSON.stringify(figure)}`);
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A bare Hono app on @hono/node-server in its own process: `GET <path>` answers `routes[path]` as JSON. */
export interface BareServer {
  port: number;
  pid: number;
  rssKb(): number;
  stop(): Promise<void>;
}

const BARE_SERVER = `
import { Hono } from "hono";
import { serve } from "@hono/node-server";
const routes = JSON.parse(process.env.BARE_ROUTES ?? "{}");
const app = new Hono();
for (const [path, body] of Object.entries(routes)) app.get(path, (c) => c.json(body));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => console.log("port " + info.port));
`;

export async function startBareHono(routes: Record<string, unknown> = { "/bare": { ok: true } }): Promise<BareServer> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", BARE_SERVER], {
    cwd: REPO_ROOT,
    env: { ...process.env, BARE_ROUTES: JSON.stringify(routes) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const match = /port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`bare Hono server exited (${code})`)));
  });
  return {
    port,
    pid: child.pid!,
    rssKb: () => rssKb(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** VmRSS (or VmHWM, the peak) of a process in kB, from /proc/<pid>/status. */
export function rssKb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]);
}

/** The server as `npm start` runs it: src/ compiled to dist/ (scripts/build.mjs), on plain node. */
export function startBuiltServer(env: Record<string, string>): Promise<ServerProcess> {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO_ROOT, stdio: "pipe" });
  return startServer(env, { entry: "dist" });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
