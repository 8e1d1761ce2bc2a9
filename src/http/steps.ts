import { Hono } from "hono";
import { INCLUDE_FILE_SEARCH_CONTENT } from "../api/runs.js";
import { notFound } from "../errors.js";
import type { Run } from "../api/wire.js";
import type { StepsRepo } from "../store/steps-repo.js";
import { listPage, listQuery } from "./list.js";
import { includes, StepListQuery } from "./runs.js";
import { presentStep } from "../runs/step-view.js";

export interface StepsRouterDeps {
  /** Finds the run in its thread (404 otherwise); RunService.find. Structural, so runs/ can change behind it. */
  runs: { find(threadId: string, runId: string): Run };
  steps: Pick<StepsRepo, "page" | "get">;
}

/** Mounted at /v1/threads/:thread_id/runs/:run_id/steps. */
export function stepsRouter({ runs, steps }: StepsRouterDeps): Hono {
  const app = new Hono();

  app.get("/", (c) => {
    const run = runs.find(c.req.param("thread_id") ?? "", c.req.param("run_id") ?? "");
    const withContent = includes(c).includes(INCLUDE_FILE_SEARCH_CONTENT);
    const q = listQuery(c, StepListQuery);
    const page = listPage(steps.page({ run_id: run.id }, q), q);
    return c.json({ ...page, data: page.data.map((step) => presentStep(step, withContent)) });
  });

  app.get("/:step_id", (c) => {
    const run = runs.find(c.req.param("thread_id") ?? "", c.req.param("run_id") ?? "");
    const step = steps.get(c.req.param("step_id"));
    if (!step || step.run_id !== run.id) throw notFound("run step", c.req.param("step_id"));
    return c.json(presentStep(step, includes(c).includes(INCLUDE_FILE_SEARCH_CONTENT)));
  });

  return app;
}
