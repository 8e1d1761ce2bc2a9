/**
 * Memory of the real server process (VmRSS from /proc/<pid>/status) as `npm start` runs it (dist/, built by
 * scripts/build.mjs, on plain node): idle after start, then after 1,000 threads × 20 messages created over HTTP.
 * Baseline, same run: a bare Hono app on @hono/node-server in its own process. Also printed: the same server run
 * from src/ through tsx (`npm run dev`, and every test), idle. Goal (#22): idle ≤ 80 MB.
 *
 *   npx tsx bench/memory.ts [threads=1000] [messages per thread=20]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer } from "../test/helpers/server-process.js";
import { benchLine, round, sleep, startBareHono, startBuiltServer } from "./bench-report.js";

const [THREADS = 1000, MESSAGES = 20] = process.argv.slice(2).map(Number);
const PARALLEL = 16;
/** How long a process sits after start (or after the load) before its RSS is read. */
const SETTLE_MS = 3000;

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-mem-"));
  const bare = await startBareHono();
  const tsxDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-mem-"));
  const throughTsx = await startServer({ DATA_DIR: tsxDataDir, OLLAMA_HOST: "http://127.0.0.1:9" });
  await sleep(SETTLE_MS);
  const tsxKb = throughTsx.rssKb();
  await throughTsx.stop();
  fs.rmSync(tsxDataDir, { recursive: true, force: true });
  const server = await startBuiltServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9" });
  try {
    await sleep(SETTLE_MS);
    const bareKb = bare.rssKb();
    const idleKb = server.rssKb();

    const started = performance.now();
    const requests = await load(server.baseURL);
    const seconds = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const loadedKb = server.rssKb();
    const peakKb = server.rssKb("VmHWM");
    const dbMb = dirMb(dataDir);

    const mb = (kb: number) => round(kb / 1024, 1);
    console.log(`\nMemory (VmRSS), Node ${process.version}, ${os.cpus().length} CPUs\n`);
    console.log(`  bare Hono process, idle                         ${mb(bareKb)} MB`);
    console.log(`  local-assistants, idle after start              ${mb(idleKb)} MB   (goal ≤ 80 MB)`);
    console.log(`  the same from src/ through tsx, idle            ${mb(tsxKb)} MB`);
    console.log(`  after ${THREADS} threads × ${MESSAGES} messages              ${mb(loadedKb)} MB   (peak ${mb(peakKb)} MB; ${requests} requests in ${seconds.toFixed(1)} s, ${(requests / seconds).toFixed(0)} req/s; data dir ${dbMb} MB)\n`);
    benchLine({ name: "idle_rss", value: mb(idleKb), unit: "MB", baseline: mb(bareKb), baseline_name: "bare Hono process", goal: "<= 80", met: idleKb / 1024 <= 80 }); // #22
    benchLine({ name: "idle_rss_through_tsx", value: mb(tsxKb), unit: "MB", baseline: mb(bareKb), baseline_name: "bare Hono process", goal: null });
    benchLine({ name: `rss_after_${THREADS}_threads_x_${MESSAGES}_messages`, value: mb(loadedKb), unit: "MB", baseline: mb(idleKb), baseline_name: "same server, idle", goal: null });
    benchLine({ name: "peak_rss_during_load", value: mb(peakKb), unit: "MB", baseline: mb(idleKb), baseline_name: "same server, idle", goal: null });
  } finally {
    await server.stop();
    await bare.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** THREADS threads, then MESSAGES messages each, PARALLEL requests at a time; returns the request count. */
async function load(baseURL: string): Promise<number> {
  let count = 0;
  const post = async (p: string, body: unknown): Promise<{ id: string }> => {
    const res = await fetch(`${baseURL}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    count++;
    if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let t = next++; t < THREADS; t = next++) {
      const thread = await post("/threads", { metadata: { n: String(t) } });
      for (let m = 0; m < MESSAGES; m++) {
        await post(`/threads/${thread.id}/messages`, { role: "user", content: `Thread ${t}, message ${m}: what is ${t} times ${m}? Please show your work.` });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return count;
}

function dirMb(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return round(bytes / 1024 / 1024, 1);
}

await main();
