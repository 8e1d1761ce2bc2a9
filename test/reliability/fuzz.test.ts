/**
 * Bad input, in process: ≥ 10,000 malformed requests (fast-check) over every route — wrong types, missing and
 * extra fields, huge strings, deep JSON, invalid UTF-8, bad multipart, bad ids, bad cursors, wrong methods.
 * Zero 5xx, every error in OpenAI's shape, no request hangs, and the server still works afterwards.
 * The raw-socket half (bytes no fetch client would send) is in fuzz-socket.test.ts.
 */
import fs from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { ENDPOINTS, seedObjects } from "./support/endpoints.js";
import { byProfile, errorShapeProblem, Figures, SEED } from "./support/figures.js";
import { fuzzRequest, type FuzzRequest } from "./support/fuzz-requests.js";

const REQUESTS = Number(process.env.RELIABILITY_FUZZ_REQUESTS ?? byProfile(12_000, 10_000));
/** New seed objects every so many requests: the fuzzer's valid DELETEs remove the old ones. */
const RESEED_EVERY = 1_000;
const PARALLEL = 4;
const REQUEST_TIMEOUT_MS = 15_000;

/** Requests sent per kind of mutation (`set`, `drop`, `multipart`, `method`, …). */
const mutations: Record<string, number> = {};

interface Failure {
  req: FuzzRequest;
  status: number;
  problem: string;
}

describe("reliability: fuzzing every endpoint in process", () => {
  const figures = new Figures("fuzz (in process)");
  let t: RunTestApp;
  const failures: Failure[] = [];

  beforeAll(async () => {
    t = await makeRunApp({ RUN_CONCURRENCY: "4" });
  });
  afterAll(async () => {
    figures.set("mutations", mutations);
    figures.set("losses", failures.length);
    figures.print();
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it(`${REQUESTS} malformed requests: no 5xx, OpenAI-shaped errors, no hangs`, { timeout: 600_000 }, async () => {
    const covered = new Set<string>();
    for (let done = 0; done < REQUESTS; done += RESEED_EVERY) {
      const seeds = await seedObjects(t);
      const batch = fc.sample(fuzzRequest(seeds), { numRuns: Math.min(RESEED_EVERY, REQUESTS - done), seed: SEED + done });
      await runAll(batch, async (req) => {
        covered.add(`${req.endpoint.method} ${req.endpoint.path}`);
        const failure = await send(t, req, figures);
        if (failure) failures.push(failure);
      });
    }
    figures.set("requests_tried", figures.get("status_2xx") + figures.get("status_4xx") + figures.get("status_5xx") + figures.get("hangs"));
    figures.set("endpoints_covered", `${covered.size}/${ENDPOINTS.length}`);
    expect(describeFailures(failures)).toEqual([]);
    expect(covered.size).toBe(ENDPOINTS.length);
    expect(figures.get("requests_tried")).toBeGreaterThanOrEqual(REQUESTS);
  });

  it("is alive afterwards: health answers and a fresh object can be created and read", async () => {
    const health = await t.request("/health");
    expect(health.status).toBe(200);
    const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", name: "after the storm" });
    expect((await t.client.beta.assistants.retrieve(assistant.id)).name).toBe("after the storm");
    const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "still here?" }] });
    const run = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    expect(run.status).toBe("completed");
    figures.set("alive_after", true);
  });
});

/** Sends one request; returns a failure when the answer breaks a rule, else null. */
async function send(t: RunTestApp, req: FuzzRequest, figures: Figures): Promise<Failure | null> {
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== undefined) init.body = req.body as BodyInit;
  mutations[req.mutation.split(" ")[0]!] = (mutations[req.mutation.split(" ")[0]!] ?? 0) + 1;
  if (req.mutation !== "valid") figures.add("faults_injected");
  const answer = (async () => {
    const res = await t.request(req.url, init);
    return { res, text: await res.text() };
  })();
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), REQUEST_TIMEOUT_MS).unref());
  const result = await Promise.race([answer, timeout]);
  if (result === null) {
    figures.add("hangs");
    return { req, status: 0, problem: `no answer within ${REQUEST_TIMEOUT_MS} ms` };
  }
  const { res, text } = result;
  figures.add(`status_${Math.floor(res.status / 100)}xx`);
  if (res.status === 413) figures.add("status_413");
  if (res.status >= 500) return { req, status: res.status, problem: text.slice(0, 300) };
  if (res.status >= 400 && req.method !== "HEAD") {
    const problem = errorShapeProblem(text);
    if (problem) return { req, status: res.status, problem };
    if (!(res.headers.get("content-type") ?? "").startsWith("application/json")) return { req, status: res.status, problem: "error without a JSON content type" };
  }
  return null;
}

async function runAll<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** One line per distinct (route, mutation kind, problem), so a report names each bug once. */
function describeFailures(failures: Failure[]): string[] {
  const seen = new Map<string, string>();
  for (const f of failures) {
    const key = `${f.req.method} ${f.req.endpoint.path} [${f.req.mutation.split(" ")[0]}] ${f.status} ${f.problem.slice(0, 80)}`;
    if (seen.has(key)) continue;
    const body = typeof f.req.body === "string" ? f.req.body.slice(0, 160) : f.req.body ? `<${f.req.body.length} bytes>` : "";
    seen.set(key, `${key}\n    ${f.req.method} ${f.req.url.slice(0, 200)} ${JSON.stringify(f.req.headers)} ${body}\n    → ${f.problem.slice(0, 300)}`);
  }
  return [...seen.values()].slice(0, 40);
}

