import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server-process.js";

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp directory, started on a free
 * loopback port, removed by `stop()`. It uses the Debian package's binaries (`apt-get install postgresql`);
 * PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
 */
export interface PostgresCluster {
  /** postgres://… of the cluster's `postgres` database. */
  readonly url: string;
  /** The directory of its Unix socket (a URL's `host` may name it: `?host=<dir>`). */
  readonly socketDir: string;
  stop(): void;
}

/** The newest installed server's bin directory, or null when PostgreSQL is not installed. */
export function postgresBinaries(): string | null {
  const root = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")));
  } catch {
    return null;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], "bin");
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (bin === null) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "la-pg-"));
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const run = (tool: string, args: string[]): void => {
    const command = path.join(bin, tool);
    if (asRoot) execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { stdio: "pipe" });
    else execFileSync(command, args, { stdio: "pipe" });
  };
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  // A test cluster: durability off (fsync, synchronous_commit) because it is thrown away; enough connections for
  // every test app and node of a parallel test run.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketDir: dir,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
