/**
 * Concurrency: 500 runs over 50 threads, all requested at once (polled, streamed, some cancelled mid-way).
 * A run refused because its thread is busy is retried, as a client would. Watched throughout: never two
 * active runs on one thread. At the end: every run terminal, and each thread's messages in order — each
 * run's reply right after its own request, replies equal to what the echo model was sent.
 */
import fs from "node:fs";
import { BadRequestError } from "openai";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import type { ChatBody } from "../fakes/ollama-fake.js";
import { byProfile, countRequests, Figures, sleep, TERMINAL_RUN, until } from "./support/figures.js";

const THREADS = 50;
const RUNS_PER_THREAD = byProfile(10, 4);
const ACTIVE = ["queued", "in_progress", "requires_action", "cancelling"];

describe("reliability: many runs on many threads at once", () => {
  const figures = new Figures("concurrency");
  let t: RunTestApp;

  beforeAll(async () => {
    t = await makeRunApp({ RUN_CONCURRENCY: "16" });
    countRequests(t.app, figures);
    // Echo the run's own request back in two chunks, slowly enough for runs to overlap.
    const echo = (body: ChatBody) => {
      const last = [...body.messages].reverse().find((m) => m.role === "user")?.content ?? "";
      return { chunks: [last.slice(0, 3), last.slice(3)], delayMs: 4 };
    };
    for (let i = 0; i < THREADS * RUNS_PER_THREAD * 2; i++) t.ollama.script(echo);
  });
  afterAll(async () => {
    figures.print();
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it(`${THREADS * RUNS_PER_THREAD} runs over ${THREADS} threads: one active run per thread, order intact, all terminal`, { timeout: 240_000 }, async () => {
    const c = t.client;
    const assistant = await t.assistant();
    const threads = await Promise.all(Array.from({ length: THREADS }, () => c.beta.threads.create()));
    const stopWatch = watchActiveRuns(t, figures);

    const jobs = threads.flatMap((thread, ti) => Array.from({ length: RUNS_PER_THREAD }, (_, ri) => runJob(t, figures, assistant.id, thread.id, `T${ti}R${ri}`, ti * RUNS_PER_THREAD + ri)));
    const created = await Promise.all(jobs);
    await until(() => t.services.repos.runs.unfinished().length === 0, 60_000, "every run to end", 20);
    stopWatch();

    figures.set("runs_created", created.length);
    const runs = (await Promise.all(threads.map((th) => allRuns(c, th.id)))).flat();
    figures.set("runs_terminal", runs.filter((r) => TERMINAL_RUN.has(r.status)).length);
    for (const status of ["completed", "cancelled", "failed", "incomplete", "expired"]) figures.set(`runs_${status}`, runs.filter((r) => r.status === status).length);
    expect(runs).toHaveLength(THREADS * RUNS_PER_THREAD);
    expect(runs.filter((r) => !TERMINAL_RUN.has(r.status)).map((r) => `${r.id} ${r.status}`)).toEqual([]);
    expect(runs.filter((r) => r.status === "failed").map((r) => r.last_error)).toEqual([]);

    const orderProblems = (await Promise.all(threads.map((th) => checkThreadOrder(c, th.id)))).flat();
    figures.set("order_violations", orderProblems.length);
    expect(orderProblems).toEqual([]);
    expect(figures.get("overlap_violations")).toBe(0);
    figures.set("losses", figures.get("overlap_violations") + orderProblems.length + (THREADS * RUNS_PER_THREAD - figures.get("runs_terminal")));
  });
});

/**
 * Creates one run on a thread, retrying while another run holds it. Every 5th run streams; every 8th is
 * cancelled a few ms after it was created.
 */
async function runJob(t: RunTestApp, figures: Figures, assistantId: string, threadId: string, text: string, n: number): Promise<string> {
  const c = t.client;
  const params = { assistant_id: assistantId, additional_messages: [{ role: "user" as const, content: text }] };
  for (;;) {
    try {
      if (n % 5 === 0) {
        const stream = c.beta.threads.runs.stream(threadId, params);
        const run = await stream.finalRun();
        figures.add("streamed");
        return run.id;
      }
      const run = await c.beta.threads.runs.create(threadId, params);
      if (n % 8 === 1) {
        await sleep(n % 13);
        await c.beta.threads.runs.cancel(run.id, { thread_id: threadId }).then(
          () => figures.add("cancels_accepted"),
          () => figures.add("cancels_refused_already_done"),
        );
      }
      return run.id;
    } catch (err) {
      if (!(err instanceof BadRequestError && /already has an active run/.test(err.message))) throw err;
      figures.add("busy_thread_retries");
      await sleep(40 + (n % 60));
    }
  }
}

/**
 * Checks the database for a thread holding two active runs at every run event (the recorder persists each
 * status change, then emits it) and every millisecond besides.
 */
function watchActiveRuns(t: RunTestApp, figures: Figures): () => void {
  const statuses = ACTIVE.map((s) => `'${s}'`).join(", ");
  const twoActive = t.services.db.prepare(`SELECT thread_id, COUNT(*) AS n FROM runs WHERE status IN (${statuses}) GROUP BY thread_id HAVING n > 1`);
  const check = (): void => {
    figures.add("overlap_checks");
    figures.add("overlap_violations", twoActive.all().length);
  };
  const events = t.services.runEvents;
  const emit = events.emit.bind(events);
  events.emit = (runId, event, data) => {
    if (event.startsWith("thread.run.")) check();
    emit(runId, event, data);
  };
  const timer = setInterval(check, 1);
  return () => {
    clearInterval(timer);
    events.emit = emit;
  };
}

async function allRuns(c: OpenAI, threadId: string): Promise<OpenAI.Beta.Threads.Run[]> {
  const out: OpenAI.Beta.Threads.Run[] = [];
  for await (const run of c.beta.threads.runs.list(threadId, { limit: 100, order: "asc" })) out.push(run);
  return out;
}

/**
 * A thread's messages, oldest first: each run's request (a user message) followed only by that run's own
 * replies, in the order the runs were created; a completed run's reply is its request echoed.
 */
async function checkThreadOrder(c: OpenAI, threadId: string): Promise<string[]> {
  const problems: string[] = [];
  const messages: OpenAI.Beta.Threads.Message[] = [];
  for await (const m of c.beta.threads.messages.list(threadId, { limit: 100, order: "asc" })) messages.push(m);
  const runs = await allRuns(c, threadId);
  const text = (m: OpenAI.Beta.Threads.Message) => m.content.map((p) => (p.type === "text" ? p.text.value : "")).join("");
  const requests = messages.filter((m) => m.role === "user");
  if (requests.length !== runs.length) problems.push(`${threadId}: ${requests.length} requests for ${runs.length} runs`);
  let current: OpenAI.Beta.Threads.Run | undefined;
  let runIndex = -1;
  for (const [i, m] of messages.entries()) {
    if (i > 0 && m.created_at < messages[i - 1]!.created_at) problems.push(`${m.id}: created_at goes back`);
    if (m.role === "user") {
      // The k-th request was created in the same transaction as the k-th run.
      current = runs[++runIndex];
      if (!current) problems.push(`${m.id}: request ${text(m)} without a run`);
      continue;
    }
    if (!current || m.run_id !== current.id) problems.push(`${m.id}: reply of ${m.run_id} after the request of ${current?.id}`);
    else if (current.status === "completed" && text(m) !== text(requests[runIndex]!)) problems.push(`${m.id}: reply "${text(m)}" to "${text(requests[runIndex]!)}"`);
  }
  return problems;
}
