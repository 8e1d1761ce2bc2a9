import type { RunStep } from "../api/wire.js";
import type { RunEvent } from "./events.js";

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

/** Steps in an event stream follow the same rule, so a streamed step equals what GET returns afterwards. */
export function presentEvent(withContent: boolean): (event: RunEvent) => RunEvent {
  return (event) =>
    event.event.startsWith("thread.run.step.") && event.event !== "thread.run.step.delta"
      ? { event: event.event, data: presentStep(event.data as RunStep, withContent) }
      : event;
}
