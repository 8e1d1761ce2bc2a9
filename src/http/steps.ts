import { Hono } from "hono";
import { INCLUDE_FILE_SEARCH_CONTENT } from "../api/runs.js";
import type { RunStep } from "../api/wire.js";
import { notFound } from "../errors.js";
import type { AppServices } from "../services.js";
import { listPage, listQuery } from "./list.js";
import { includes, StepListQuery } from "./runs.js";

/** Mounted at /v1/threads/:thread_id/runs/:run_id/steps. */
export function stepsRouter(s: AppServices): Hono {
  const app = new Hono();

  app.get("/", (c) => {
    const run = s.runs.find(c.req.param("thread_id") ?? "", c.req.param("run_id") ?? "");
    const withContent = includes(c).includes(INCLUDE_FILE_SEARCH_CONTENT);
    const q = listQuery(c, StepListQuery);
    const page = listPage(s.repos.steps.page({ run_id: run.id }, q), q);
    return c.json({ ...page, data: page.data.map((step) => presentStep(step, withContent)) });
  });

  app.get("/:step_id", (c) => {
    const run = s.runs.find(c.req.param("thread_id") ?? "", c.req.param("run_id") ?? "");
    const step = s.repos.steps.get(c.req.param("step_id"));
    if (!step || step.run_id !== run.id) throw notFound("run step", c.req.param("step_id"));
    return c.json(presentStep(step, includes(c).includes(INCLUDE_FILE_SEARCH_CONTENT)));
  });

  return app;
}

/** file_search result content is returned only when `include[]` asks for it, as the hosted API did. */
export function presentStep(step: RunStep, withContent: boolean): RunStep {
  if (withContent || step.step_details.type !== "tool_calls") return step;
  const tool_calls = step.step_details.tool_calls.map((call) =>
    call.type === "file_search" && call.file_search.results
      ? { ...call, file_search: { ...call.file_search, results: call.file_search.results.map(({ content: _content, ...r }) => r) } }
      : call,
  );
  return { ...step, step_details: { type: "tool_calls", tool_calls } };
}
