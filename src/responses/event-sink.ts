import type { Response, ResponseEvent } from "../api/responses-wire.js";
import type { Repos } from "../store/repos.js";

/** A response executing in this process: how to stop it, when it ends, and who reads its events live. */
export interface Active {
  controller: AbortController;
  done: Promise<Response>;
  listeners: Set<(event: ResponseEvent) => void>;
  /** Set by delete: nothing of it is stored any more. */
  deleted: boolean;
}

/**
 * Where a response's events go: to its live readers, and for a background one first to the store (so a
 * stream can be resumed, from any node), with the response row brought up to date at each event but text
 * deltas (so a GET while it runs shows its items and their status). `onLastEvent` runs before the event that
 * ends it well is stored: what must be in place when anyone can read it ended (its conversation's items).
 */
export function eventSink(response: Response, active: Active, repos: Pick<Repos, "responses" | "responseEvents">, onLastEvent?: (ended: Response) => void): (event: ResponseEvent) => void {
  const { responses, responseEvents } = repos;
  return (event) => {
    if (onLastEvent && (event.type === "response.completed" || event.type === "response.incomplete")) onLastEvent(event.response as Response);
    if (response.background && !active.deleted) {
      responseEvents.append(response.id, event);
      // Every change but a delta (the many small ones) is stored: items opening, changing status, ending.
      if (!event.type.endsWith(".delta")) responses.update(response);
    }
    for (const listener of active.listeners) listener(event);
  };
}
