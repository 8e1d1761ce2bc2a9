import { Hono } from "hono";
import { INCLUDE_FILE_SEARCH_CONTENT } from "../api/runs.js";
import { notFound } from "../errors.js";
import type { AppServices } from "../services.js";
import { listPage, listQuery } from "./list.js";
import { includes, StepListQuery } from "./runs.js";
import { presentStep } from "./step-view.js";

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
