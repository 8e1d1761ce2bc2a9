import { Hono, type Context } from "hono";
import { z } from "zod";
import { ListQuery } from "../api/common.js";
import { INCLUDE_FILE_SEARCH_CONTENT, IncludeQuery, RunCreateParams, RunUpdateParams, SubmitToolOutputsParams, ThreadAndRunCreateParams } from "../api/runs.js";
import type { Run } from "../api/wire.js";
import { notFound } from "../errors.js";
import type { AppServices } from "../services.js";
import { listPage, listQuery } from "./list.js";
import { EventChannel, sseResponse } from "./sse.js";
import { presentEvent } from "./step-view.js";
import { parseWith, readJson } from "./validation.js";

/** Tells the SDK's pollers (createAndPoll…) how long to wait between polls; without it they sleep 5 s. */
const POLL_AFTER_MS = "100";

/** Mounted at /v1/threads: runs on a thread, and create-thread-and-run. */
export function runsRouter(s: AppServices): Hono {
  const app = new Hono();
  // Only on run routes: this router is mounted at /threads, and a "*" middleware would wrap every thread
  // and message request too (measured: +40 µs on GET /threads/{id}).
  const pollHint = async (c: Context, next: () => Promise<void>): Promise<void> => {
    await next();
    c.header("openai-poll-after-ms", POLL_AFTER_MS);
  };
  for (const path of ["/runs", "/:thread_id/runs", "/:thread_id/runs/*"]) app.use(path, pollHint);
  const events = s.runEvents;

  app.post("/runs", async (c) => {
    const p = await readJson(c, ThreadAndRunCreateParams);
    if (!p.stream) return c.json(s.runs.createThreadAndRun(p));
    const channel = new EventChannel(presentEvent(false));
    const run = s.runs.createThreadAndRun(p, channel.listener, (thread) => channel.push({ event: "thread.created", data: thread }));
    return sseResponse(c, channel, events, run.id);
  });

  app.post("/:thread_id/runs", async (c) => {
    const include = includes(c);
    const p = await readJson(c, RunCreateParams);
    const threadId = c.req.param("thread_id");
    if (!p.stream) return c.json(s.runs.create(threadId, p, include));
    const channel = new EventChannel(presentEvent(include.includes(INCLUDE_FILE_SEARCH_CONTENT)));
    const run = s.runs.create(threadId, p, include, channel.listener);
    return sseResponse(c, channel, events, run.id);
  });

  app.get("/:thread_id/runs", (c) => {
    const threadId = c.req.param("thread_id");
    if (!s.repos.threads.get(threadId)) throw notFound("thread", threadId);
    const q = listQuery(c, ListQuery);
    return c.json(listPage(s.repos.runs.page({ thread_id: threadId }, q), q));
  });

  app.get("/:thread_id/runs/:run_id", (c) => c.json(findRun(s, c)));

  app.post("/:thread_id/runs/:run_id", async (c) => {
    const run = findRun(s, c);
    const p = await readJson(c, RunUpdateParams);
    return c.json(s.repos.runs.update({ ...s.repos.runs.get(run.id)!, metadata: p.metadata ?? run.metadata }));
  });

  app.post("/:thread_id/runs/:run_id/cancel", (c) => c.json(s.runs.cancel(c.req.param("thread_id"), c.req.param("run_id"))));

  app.post("/:thread_id/runs/:run_id/submit_tool_outputs", async (c) => {
    const p = await readJson(c, SubmitToolOutputsParams);
    const [threadId, runId] = [c.req.param("thread_id"), c.req.param("run_id")];
    if (!p.stream) return c.json(s.runs.submitToolOutputs(threadId, runId, p));
    const channel = new EventChannel(presentEvent(s.repos.runs.options(runId).include.includes(INCLUDE_FILE_SEARCH_CONTENT)));
    s.runs.submitToolOutputs(threadId, runId, p, channel.listener);
    return sseResponse(c, channel, events, runId);
  });

  return app;
}

function findRun(s: AppServices, c: Context): Run {
  return s.runs.find(c.req.param("thread_id") ?? "", c.req.param("run_id") ?? "");
}

/** `include[]=…` values, validated (only the file_search content expansion exists). */
export function includes(c: Context): string[] {
  const raw = c.req.queries("include[]") ?? c.req.queries("include");
  if (!raw) return [];
  const parsed = parseWith(IncludeQuery, { "include[]": raw.length === 1 ? raw[0] : raw });
  const value = parsed["include[]"];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export const StepListQuery = ListQuery.extend({ "include[]": z.unknown().optional() });
