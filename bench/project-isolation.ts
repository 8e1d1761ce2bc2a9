/**
 * The cost of keeping projects apart (API_KEYS_FILE): two real server processes in the same run, one with
 * API_KEY (one project: the store is not scoped and nothing enters an AsyncLocalStorage) and one with the same
 * key in API_KEYS_FILE (isolating: every request runs in its key's project, every query filters by it), the
 * same objects in each, rounds alternating so drift hits both alike.
 *
 * - GET /v1/assistants/{id} and GET /v1/threads/{id}/messages?limit=20 (req/s, autocannon, 10 connections)
 *
 *   npx tsx bench/project-isolation.ts [rounds=3] [seconds per measurement=4]
 *
 * Figures only, no goal: value is with isolation, baseline the same server with API_KEY.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { startServer, type ServerProcess } from "../test/helpers/server-process.js";
import { median } from "./bench-app.js";
import { benchLine, round, sleep } from "./bench-report.js";

const [ROUNDS = 3, SECONDS = 4] = process.argv.slice(2).map(Number);
const KEY = "sk-bench-project-isolation";
const MESSAGES = 25;

interface Mode {
  name: string;
  server: ServerProcess;
  dataDir: string;
  urls: Record<"get_assistant_rps" | "get_messages_rps", string>;
  samples: Record<string, number[]>;
}

async function main(): Promise<void> {
  const modes: Mode[] = [];
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-keys-"));
  const keysFile = path.join(keysDir, "keys.json");
  fs.writeFileSync(keysFile, JSON.stringify({ keys: [{ name: "bench", sha256: createHash("sha256").update(KEY).digest("hex"), project: "bench" }] }));
  try {
    for (const [name, env] of [["API_KEY (one project)", { API_KEY: KEY }], ["API_KEYS_FILE (isolating)", { API_KEYS_FILE: keysFile }]] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-projects-"));
      const server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", ...env });
      modes.push({ name, server, dataDir, urls: await seed(server.baseURL), samples: {} });
    }
    for (const m of modes) await measure(m.urls.get_assistant_rps, 1); // warm-up: JIT, SQLite's cache
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of r % 2 === 0 ? modes : [...modes].reverse()) {
        for (const [key, url] of Object.entries(m.urls)) (m.samples[key] ??= []).push(await measure(url, SECONDS));
        await sleep(250);
      }
    }
    report(modes as [Mode, Mode]);
  } finally {
    for (const m of modes) {
      await m.server.stop();
      fs.rmSync(m.dataDir, { recursive: true, force: true });
    }
    fs.rmSync(keysDir, { recursive: true, force: true });
  }
}

async function measure(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: 10, duration: seconds, headers: { authorization: `Bearer ${KEY}` } });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

function report([plain, isolating]: [Mode, Mode]): void {
  console.log(`\nProject isolation: median of ${ROUNDS} rounds of ${SECONDS} s, Node ${process.version}, ${os.cpus().length} CPUs\n`);
  console.log(`${"".padEnd(48)} ${plain.name.padStart(24)} ${isolating.name.padStart(26)}   ratio`);
  const rows = [
    ["get_assistant_rps", "GET /v1/assistants/{id}, 10 connections"],
    ["get_messages_rps", "GET /v1/threads/{id}/messages?limit=20"],
  ] as const;
  for (const [key, label] of rows) {
    const [base, value] = [median(plain.samples[key]!), median(isolating.samples[key]!)];
    console.log(`  ${label.padEnd(46)} ${base.toFixed(0).padStart(24)} ${value.toFixed(0).padStart(26)}   ${(value / base).toFixed(2)}x req/s`);
  }
  console.log("");
  for (const [key] of rows) {
    benchLine({ name: `projects_${key}`, value: round(median(isolating.samples[key]!), 0), unit: "req/s", baseline: round(median(plain.samples[key]!), 0), baseline_name: "same server with API_KEY (one project)", goal: null });
  }
}

/** One assistant and a thread of MESSAGES messages, created over HTTP with the key. */
async function seed(baseURL: string): Promise<Mode["urls"]> {
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${baseURL}${p}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const assistant = await post("/assistants", { model: "gpt-4o", name: "Benchmark tutor", instructions: "You are a personal math tutor.", metadata: { purpose: "bench" } });
  const thread = await post("/threads", {});
  for (let i = 0; i < MESSAGES; i++) await post(`/threads/${thread.id}/messages`, { role: "user", content: `Message ${i}: solve 3x + ${i} = 14.` });
  return { get_assistant_rps: `${baseURL}/assistants/${assistant.id}`, get_messages_rps: `${baseURL}/threads/${thread.id}/messages?limit=20` };
}

await main();
