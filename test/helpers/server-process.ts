/**
 * The real server (src/main.ts) as a child process, for tests and benchmarks that must cross a process
 * boundary: crash recovery (SIGKILL), memory (RSS from /proc), throughput over a socket.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_VARIABLES } from "../../src/config.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Variables the server reads; never inherited from the caller's environment, so a run is reproducible. */
const CONFIG_VARS = CONFIG_VARIABLES;

export interface ServerProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (`https://` when TLS_CERT_FILE is set) */
  readonly origin: string;
  /** `<origin>/v1`, for the SDK's baseURL. */
  readonly baseURL: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the server printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resident set size in kB, from /proc/<pid>/status (Linux). */
  rssKb(field?: "VmRSS" | "VmHWM"): number;
  /** SIGKILL to the server's whole process group (node and tsx's esbuild helper); resolves on exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** A port the OS says is free right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The node flags `npm start` runs dist/main.js with (package.json's start script: the one place they are set). */
function startFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const flags = /node ((?:--\S+ )*)dist\/main\.js/.exec(start);
  if (!flags) throw new Error(`package.json's start script no longer runs "node [flags] dist/main.js": ${start}`);
  return flags[1]!.split(" ").filter((f) => f !== "");
}

/**
 * Starts `node --import tsx src/main.ts` with `env` and resolves once `/health` answers 200. With TLS_CERT_FILE
 * in `env` it speaks HTTPS: /health is asked over TLS trusting `opts.ca` (default: the certificate itself).
 */
export async function startServer(env: Record<string, string>, opts: { healthTimeoutMs?: number; ca?: string | Buffer; entry?: "src" | "dist" } = {}): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of CONFIG_VARS) delete base[name];
  // src: the TypeScript through tsx (every test); dist: what `npm start` runs (scripts/build.mjs made it).
  const args = opts.entry === "dist" ? [...startFlags(), "dist/main.js"] : ["--import", "tsx", "src/main.ts"];
  // detached: its own process group, so kill() reaches esbuild's helper process too.
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...base, LLM_BACKEND: "ollama", ...env, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ca = env.TLS_CERT_FILE === undefined ? undefined : opts.ca ?? readIfPossible(env.TLS_CERT_FILE);
  const origin = `${env.TLS_CERT_FILE === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  const server: ServerProcess = {
    port,
    origin,
    baseURL: `${origin}/v1`,
    pid: child.pid!,
    child,
    stdout: () => out,
    stderr: () => err,
    rssKb: (field = "VmRSS") => readStatusKb(child.pid!, field),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) signalGroup(child.pid!, "SIGKILL");
      await exited;
    },
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => signalGroup(child.pid!, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup(child.pid!, "SIGKILL"); // esbuild's helper, if it outlived node
    },
  };
  await waitForHealth(server, exited, opts.healthTimeoutMs ?? 30_000, ca);
  return server;
}

async function waitForHealth(server: ServerProcess, exited: Promise<void>, timeoutMs: number, ca: string | Buffer | undefined): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`server exited before it was healthy (code ${server.child.exitCode}):\n${server.stderr()}${server.stdout()}`);
    const ok = server.origin.startsWith("https:") ? await httpsOk(`${server.origin}/health`, ca) : await fetch(`${server.origin}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await server.kill();
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${server.stderr()}`);
}

/** GET over TLS trusting `ca` (fetch cannot be given a CA without undici's Agent): true on a 200. */
function httpsOk(url: string, ca: string | Buffer | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

function readIfPossible(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined; // the server will refuse the file itself; the test reads why from its stderr
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function readStatusKb(pid: number, field: string): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}
