/**
 * Several nodes on PostgreSQL against one node on SQLite (#21): runs/s and create → completed latency with a
 * near-zero-latency model (the Ollama stand-in, answering at once), each configuration measured in the same
 * run, side by side:
 *   SQLite, 1 node | PostgreSQL, 1 node | PostgreSQL, 2 nodes | PostgreSQL, 3 nodes
 * and the cost of a lease claim + release, of a renewal and of the work queue's claim, measured on the store
 * interface itself.
 *
 *   npx tsx bench/cluster.ts [runs=150] [clients=8]
 *
 * Nodes are real server processes (what `npm start` runs); clients spread runs over them round-robin, as a
 * load balancer would, and poll each run back every 2 ms. Needs PostgreSQL installed (a throwaway cluster).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { startOllamaFake } from "../test/fakes/ollama-fake.js";
import { DEFAULT_TAG } from "../test/helpers/run-app.js";
import { startPostgresCluster } from "../test/helpers/postgres-cluster.js";
import type { ServerProcess } from "../test/helpers/server-process.js";
import { openPostgres } from "../src/store/db.js";
import { createLeases } from "../src/cluster/work-leases.js";
import { benchLine, startBuiltServer, sleep } from "./bench-report.js";
import { ms, printTable, summary } from "./zero-latency-model.js";

const RUNS = Number(process.argv[2] ?? 150);
const CLIENTS = Number(process.argv[3] ?? 8);

async function timeRun(c: OpenAI, assistantId: string, i: number): Promise<number> {
  const start = performance.now();
  const run = await c.beta.threads.createAndRun({ assistant_id: assistantId, thread: { messages: [{ role: "user", content: `question ${i}` }] } });
  for (let r = run; r.status !== "completed"; r = await c.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id })) {
    if (["failed", "cancelled", "expired", "incomplete"].includes(r.status)) throw new Error(`run ended ${r.status}: ${JSON.stringify(r.last_error)}`);
    await sleep(2);
  }
  return performance.now() - start;
}

interface Measured {
  row: string[];
  p50: number;
  perSecond: number;
}

async function measure(label: string, env: Record<string, string>, nodes: number): Promise<Measured> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-cluster-"));
  const fake = await startOllamaFake({ models: [DEFAULT_TAG] });
  const servers: ServerProcess[] = [];
  try {
    servers.push(...(await Promise.all(Array.from({ length: nodes }, () => startBuiltServer({ DATA_DIR: dataDir, OLLAMA_HOST: fake.url, RUN_CONCURRENCY: "16", ...env })))));
    const clients = servers.map((s) => new OpenAI({ baseURL: s.baseURL, apiKey: "unused", maxRetries: 0 }));
    const assistant = await clients[0]!.beta.assistants.create({ model: "gpt-4o" });
    for (let i = 0; i < 20; i++) await timeRun(clients[i % nodes]!, assistant.id, i); // warm-up
    const sequential: number[] = [];
    for (let i = 0; i < 40; i++) sequential.push(await timeRun(clients[i % nodes]!, assistant.id, i));
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, k) => {
      for (let i = next++; i < RUNS; i = next++) await timeRun(clients[(i + k) % nodes]!, assistant.id, i);
    }));
    const perSecond = RUNS / ((performance.now() - started) / 1000);
    const seq = summary(sequential);
    return { row: [label, ms(seq.p50), ms(seq.p95), `${perSecond.toFixed(0)} runs/s`], p50: seq.p50, perSecond };
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function leaseCosts(url: string): Promise<{ name: string; label: string; us: number }[]> {
  const db = openPostgres(url, "bench_leases");
  const leases = createLeases(db, 15_000);
  const n = 500;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    leases.claim("run", `run_${i}`);
    leases.release("run", `run_${i}`);
  }
  const claim = ((performance.now() - t) * 1000) / n;
  const renew = db.prepare("UPDATE work_leases SET expires_at = expires_at + 1 WHERE node = ?");
  for (let i = 0; i < 50; i++) leases.claim("run", `held_${i}`);
  t = performance.now();
  for (let i = 0; i < n; i++) renew.run(leases.node);
  const renewal = ((performance.now() - t) * 1000) / n;
  // The work queue's claim (FOR UPDATE SKIP LOCKED over queued rows, leases inserted), one queued run at a time.
  const insertRun = db.prepare("INSERT INTO runs (id, created_at, thread_id, status, body) VALUES (?, 0, ?, 'queued', '{}')");
  for (let i = 0; i < n; i++) insertRun.run(`queued_${i}`, `thread_${i}`);
  const started = db.prepare("UPDATE runs SET status = 'in_progress' WHERE id = ?");
  let claiming = 0;
  for (let i = 0; i < n; i++) {
    t = performance.now();
    const [id] = leases.claimQueued("run", 1);
    claiming += performance.now() - t;
    if (id === undefined) throw new Error("a queued run was not claimed");
    started.run(id); // as its execution would, out of the timing: the next claim finds the rest still queued
  }
  const queuedClaim = (claiming * 1000) / n;
  const get = db.prepare("SELECT 1").pluck();
  t = performance.now();
  for (let i = 0; i < n; i++) get.get();
  const roundTrip = ((performance.now() - t) * 1000) / n;
  leases.close();
  await db.close();
  return [
    { name: "cluster_pg_statement_us", label: "one statement (SELECT 1) through the store", us: roundTrip },
    { name: "cluster_lease_claim_release_us", label: "lease claim + release (2 statements)", us: claim },
    { name: "cluster_lease_renewal_us", label: "renewal of 50 leases (one UPDATE)", us: renewal },
    { name: "cluster_queued_claim_us", label: `claim of the oldest queued run (SKIP LOCKED), ${n} queued at first`, us: queuedClaim },
  ];
}

async function main(): Promise<void> {
  const cluster = await startPostgresCluster();
  try {
    const sqlite = await measure("SQLite, 1 node", {}, 1);
    const pg: Measured[] = [];
    for (const nodes of [1, 2, 3]) {
      pg.push(await measure(`PostgreSQL, ${nodes} node${nodes > 1 ? "s" : ""}`, { DATABASE_URL: cluster.url, DATABASE_SCHEMA: `bench_${nodes}` }, nodes));
    }
    console.log(`\nruns over nodes, stand-in model answering at once, ${RUNS} runs from ${CLIENTS} clients (Node ${process.version}, ${os.availableParallelism()} CPUs)\n`);
    printTable(["store, nodes", "run p50 (one at a time)", "run p95", "throughput"], [sqlite.row, ...pg.map((m) => m.row)]);
    console.log("");
    const costs = await leaseCosts(cluster.url);
    printTable(["PostgreSQL store operation", "cost"], costs.map((c) => [c.label, `${c.us.toFixed(0)} µs`]));
    // Figures for BENCHMARKS.md, each beside SQLite's one node measured in this run (no goal: the issue asks for them side by side).
    pg.forEach((m, i) => {
      benchLine({ name: `cluster_pg_${i + 1}_nodes_runs_per_s`, value: Math.round(m.perSecond), unit: "runs/s", baseline: Math.round(sqlite.perSecond), baseline_name: "SQLite, 1 node", goal: null });
    });
    benchLine({ name: "cluster_pg_run_p50", value: Number(pg[0]!.p50.toFixed(2)), unit: "ms", baseline: Number(sqlite.p50.toFixed(2)), baseline_name: "SQLite, 1 node", goal: null });
    for (const c of costs) benchLine({ name: c.name, value: Math.round(c.us), unit: "µs", baseline: null, goal: null });
  } finally {
    cluster.stop();
  }
}

await main();
