import { Hono, type Context } from "hono";
import { z } from "zod";
import { ListQuery } from "../api/common.js";
import { IncludeQuery, RunCreateParams, RunUpdateParams, SubmitToolOutputsParams, ThreadAndRunCreateParams } from "../api/runs.js";
import type { Run } from "../api/wire.js";
import type { RunService } from "../runs/run-service.js";
import { jsonText, listPage, listQuery } from "./list.js";
import { sseResponse } from "./sse.js";
import { parseWith, readJson } from "./validation.js";

/** Tells the SDK's pollers (createAndPoll…) how long to wait between polls; without it they sleep 5 s. */
const POLL_AFTER_MS = "100";

/**
 * Sets the poll hint on whatever the run route answers, errors included (headers set on the context go on every
 * response made from it). Set by each handler rather than by a middleware: a middleware layer made every poll
 * asynchronous for one header.
 */
function pollHint(c: Context): void {
  c.header("openai-poll-after-ms", POLL_AFTER_MS);
}

export interface RunsRouterDeps {
  runs: RunService;
}

/** Mounted at /v1/threads: runs on a thread, and create-thread-and-run. */
export function runsRouter(s: RunsRouterDeps): Hono {
  const app = new Hono();

  app.post("/runs", async (c) => {
    pollHint(c);
    const p = await readJson(c, ThreadAndRunCreateParams);
    return p.stream ? sseResponse(c, s.runs.createThreadAndRunStream(p)) : c.json(s.runs.createThreadAndRun(p));
  });

  app.post("/:thread_id/runs", async (c) => {
    pollHint(c);
    const include = includes(c);
    const p = await readJson(c, RunCreateParams);
    const threadId = c.req.param("thread_id");
    return p.stream ? sseResponse(c, s.runs.createStream(threadId, p, include)) : c.json(s.runs.create(threadId, p, include));
  });

  app.get("/:thread_id/runs", (c) => {
    pollHint(c);
    const q = listQuery(c, ListQuery);
    return c.json(listPage(s.runs.page(c.req.param("thread_id"), q), q));
  });

  // A poll: the stored body is the wire object, sent as text (no parse and serialise again).
  app.get("/:thread_id/runs/:run_id", (c) => {
    pollHint(c);
    return jsonText(c, s.runs.body(c.req.param("thread_id"), c.req.param("run_id")));
  });

  app.post("/:thread_id/runs/:run_id", async (c) => {
    pollHint(c);
    findRun(s, c); // 404 before a 400 for the body, as the hosted API answered
    const p = await readJson(c, RunUpdateParams);
    return c.json(s.runs.updateMetadata(c.req.param("thread_id"), c.req.param("run_id"), p.metadata));
  });

  app.post("/:thread_id/runs/:run_id/cancel", (c) => {
    pollHint(c);
    return c.json(s.runs.cancel(c.req.param("thread_id"), c.req.param("run_id")));
  });

  app.post("/:thread_id/runs/:run_id/submit_tool_outputs", async (c) => {
    pollHint(c);
    const p = await readJson(c, SubmitToolOutputsParams);
    const [threadId, runId] = [c.req.param("thread_id"), c.req.param("run_id")];
    return p.stream ? sseResponse(c, s.runs.submitToolOutputsStream(threadId, runId, p)) : c.json(s.runs.submitToolOutputs(threadId, runId, p));
  });

  return app;
}

function findRun(s: RunsRouterDeps, c: Context): Run {
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
