/**
 * API throughput over a real socket: `GET /v1/assistants/{id}` and `GET /v1/threads/{id}/messages?limit=20`
 * on the real server process, each beside a bare Hono route on @hono/node-server (its own process) that
 * answers the very same JSON (so the baseline pays the same serialisation and bytes, and the ratio is what
 * the server adds: routing, middleware, SQLite, validation), with the same load generator (autocannon, in
 * this process) in the same run. Rounds alternate bare / ours so drift hits both alike. Goal: ≥ 0.5× bare.
 *
 *   npx tsx bench/api-throughput.ts [seconds per measurement=5] [rounds=3] [connections=10]
 *
 * autocannon records latency at 1 ms resolution: a p99 of 0 means under 1 ms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon, { type Result } from "autocannon";
import { benchLine, round, sleep, startBareHono, startBuiltServer } from "./bench-report.js";

const [SECONDS = 5, ROUNDS = 3, CONNECTIONS = 10] = process.argv.slice(2).map(Number);
const MESSAGES = 25;

interface Target {
  name: string;
  url: string;
  results: Result[];
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bench-api-"));
  // No Ollama needed: these routes never call the model. Port 9 (discard) is closed: probes fail fast.
  const server = await startBuiltServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9" }); // what npm start runs
  try {
    const { assistant, threadId } = await seed(server.baseURL);
    const ours = { assistant: `${server.baseURL}/assistants/${assistant.id}`, messages: `${server.baseURL}/threads/${threadId}/messages?limit=20` };
    const bare = await startBareHono({ "/assistant": await getJson(ours.assistant), "/messages": await getJson(ours.messages) });
    try {
      const bareUrl = (p: string) => `http://127.0.0.1:${bare.port}${p}`;
      const targets: Target[] = [
        { name: "bare Hono route, same assistant JSON", url: bareUrl("/assistant"), results: [] },
        { name: "GET /v1/assistants/{id}", url: ours.assistant, results: [] },
        { name: "bare Hono route, same message list JSON", url: bareUrl("/messages"), results: [] },
        { name: "GET /v1/threads/{id}/messages?limit=20", url: ours.messages, results: [] },
      ];
      for (const t of targets) await autocannon({ url: t.url, connections: CONNECTIONS, duration: 2 }); // warm-up (JIT, SQLite cache)
      for (let r = 0; r < ROUNDS; r++) {
        for (const t of targets) {
          const result = await autocannon({ url: t.url, connections: CONNECTIONS, duration: SECONDS });
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          t.results.push(result);
          await sleep(250);
        }
      }
      report(targets);
    } finally {
      await bare.stop();
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One assistant and a thread holding MESSAGES messages, created over HTTP. */
async function seed(baseURL: string): Promise<{ assistant: { id: string }; threadId: string }> {
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${baseURL}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const assistant = await post("/assistants", {
    model: "gpt-4o",
    name: "Benchmark tutor",
    instructions: "You are a personal math tutor. Answer briefly.",
    tools: [{ type: "code_interpreter" }],
    metadata: { purpose: "bench" },
  });
  const thread = await post("/threads", {});
  for (let i = 0; i < MESSAGES; i++) await post(`/threads/${thread.id}/messages`, { role: "user", content: `Message ${i}: solve 3x + ${i} = 14.` });
  return { assistant, threadId: thread.id };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

function report(targets: Target[]): void {
  const mean = (rs: Result[], f: (r: Result) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const rows = targets.map((t) => ({ name: t.name, rps: mean(t.results, (r) => r.requests.average), p50: mean(t.results, (r) => r.latency.p50), p99: mean(t.results, (r) => r.latency.p99) }));
  console.log(`\nAPI throughput: autocannon, ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds per route (mean of rounds), Node ${process.version}, ${os.cpus().length} CPUs\n`);
  console.log(`${"route".padEnd(42)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"× bare".padStart(8)}`);
  const names = ["api_get_assistant", "api_list_messages_20"];
  for (let i = 0; i < rows.length; i += 2) {
    const [bare, ours] = [rows[i]!, rows[i + 1]!];
    for (const r of [bare, ours]) console.log(`${r.name.padEnd(42)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${(r.rps / bare.rps).toFixed(2).padStart(8)}`);
  }
  console.log("");
  for (let i = 0; i < rows.length; i += 2) {
    const [bare, ours] = [rows[i]!, rows[i + 1]!];
    const name = names[i / 2]!;
    const ratio = ours.rps / bare.rps;
    benchLine({ name: `${name}_rps`, value: round(ours.rps, 0), unit: "req/s", baseline: round(bare.rps, 0), baseline_name: bare.name, goal: ">= 0.8x baseline", met: ratio >= 0.8 }); // #22
    benchLine({ name: `${name}_p99`, value: round(ours.p99, 1), unit: "ms", baseline: round(bare.p99, 1), baseline_name: bare.name, goal: null });
  }
}

await main();
