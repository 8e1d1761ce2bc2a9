/**
 * Responses as other server processes leave them (several nodes on one store, or a previous process): ending
 * those whose node stopped, cancelling one that executes elsewhere, and streaming one that executes elsewhere
 * from its stored events. ResponseService handles the responses executing in this process; this, the rest.
 */
import type { Response, ResponseEvent } from "../api/responses-wire.js";
import type { ClusterSignals } from "../cluster/signals.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import type { AsyncQueue } from "../concurrency/async-queue.js";
import { guarded, log } from "../log.js";
import { ServerShutdown } from "../runs/state.js";
import { ResponseCancelled } from "./executor.js";
import { inProject } from "../store/project-scope.js";
import type { Repos } from "../store/repos.js";

/** How often a stream of a response executing on another node reads its newly stored events. */
const FOLLOW_POLL_MS = 50;
/** How long a cancel received by one node waits for the node executing the response to record `cancelled`. */
const REMOTE_CANCEL_WAIT_MS = 10_000;

/** A response in one of these states has stored its last event. Absent (deleted): nothing more will come. */
function isFinal(status: string | undefined): boolean {
  return status !== "in_progress" && status !== "queued";
}

export class OtherNodes {
  constructor(
    private readonly deps: {
      repos: Pick<Repos, "responses" | "responseEvents">;
      leases: WorkLeases;
      signals: ClusterSignals;
      /** Whether the response executes in this process. */
      isLocal(id: string): boolean;
      /** Stops a response executing in this process (`reason`: how it ends; `deleted`: store nothing more of it). */
      stopLocal(id: string, reason: Error, deleted?: boolean): void;
    },
  ) {
    // A cancel another node received for a response executing here.
    deps.signals.onSignal((signal) => {
      if (signal.kind === "abort-response") deps.stopLocal(signal.id, new ResponseCancelled());
      else if (signal.kind === "delete-response") deps.stopLocal(signal.id, new ResponseCancelled(), true);
    });
    // Another node took a response of this one over (this node stalled past the lease): it must not go on here.
    deps.leases.onLost((kind, id) => {
      if (kind === "response") deps.stopLocal(id, new ServerShutdown("The server node executing this response stalled and another node took it over. Create it again to retry."));
    });
  }

  private sweep: NodeJS.Timeout | null = null;

  /** At boot: ends what a previous process left; on a shared store, again every second (what dead nodes left). */
  start(): void {
    this.endOrphans();
    if (this.deps.leases.shared && this.sweep === null) {
      this.sweep = setInterval(() => guarded("the response sweep", () => this.endOrphans()), 1000);
      this.sweep.unref();
    }
  }

  close(): void {
    if (this.sweep) clearInterval(this.sweep);
  }

  /**
   * Ends every unfinished response no process holds (at boot: what a crash left; on a shared store, each
   * second: what a dead node left) as `failed`, a background one's stored stream with `response.failed`.
   */
  endOrphans(): void {
    const { leases } = this.deps;
    const { responses } = this.deps.repos;
    // Shared: a queued response nobody holds has not started anywhere; a node takes it up (response-queue.ts).
    const waiting = leases.shared ? new Set(responses.queuedIds()) : new Set<string>();
    const candidates = responses.unfinishedIds().filter((id) => !this.deps.isLocal(id) && !waiting.has(id));
    if (candidates.length === 0) return;
    const held = leases.heldIds("response"); // live work of other nodes is not even tried (a claim locks its row)
    for (const id of candidates) {
      if (held.has(id) || !leases.claim("response", id)) continue;
      try {
        // Read again under the lease: one queued since the ids were read is left to the queue, not ended.
        const response = this.deps.repos.responses.get(id);
        if (response && !isFinal(response.status) && !(leases.shared && response.status === "queued")) this.endAfterCrash(response);
      } finally {
        leases.release("response", id);
      }
    }
  }

  private endAfterCrash(response: Response): void {
    const { responses, responseEvents } = this.deps.repos;
    const message = this.deps.leases.shared
      ? "The server node executing this response stopped (crash or restart). Create it again to retry."
      : "The server stopped while this response was in progress (crash or restart). Create it again to retry.";
    const error = { code: "server_error", message };
    const failed: Response = { ...response, status: "failed", error, output: response.output.map((o) => (o.status === "in_progress" || o.status === "searching" || o.status === "interpreting" ? { ...o, status: "incomplete" } : o)) as Response["output"] };
    // A resumed stream of it ends, as a live one would have, with response.failed: stored before the status,
    // since a follower on another node stops reading once the status is final.
    if (response.background) {
      inProject(responses.projectOf(response.id) ?? "default", () =>
        responseEvents.append(response.id, { type: "response.failed", sequence_number: (responseEvents.lastSequence(response.id) ?? -1) + 1, response: failed }),
      );
    }
    responses.update(failed);
    responses.deleteRequest(response.id); // one a worker had taken from the queue
  }

  /** A response deleted here that executes on another node: that node stops it and stores nothing more of it. */
  forget(response: Response): void {
    const holder = this.deps.leases.holder("response", response.id);
    if (holder !== null && holder !== this.deps.leases.node) this.deps.signals.send(holder, { kind: "delete-response", id: response.id });
  }

  /** A response executing on another node: that node is told, and its answer read back once it is stored. */
  async cancel(response: Response): Promise<Response> {
    const { leases, signals } = this.deps;
    const holder = leases.holder("response", response.id);
    if (holder === null || holder === leases.node) return response;
    signals.send(holder, { kind: "abort-response", id: response.id });
    const deadline = Date.now() + REMOTE_CANCEL_WAIT_MS;
    let current = response;
    // Until it is stored as ended and the executing node let go of it (its conversation, if any, is free then).
    while ((!isFinal(current.status) || leases.holder("response", response.id) !== null) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      current = this.deps.repos.responses.get(response.id) ?? current;
    }
    return current;
  }

  /**
   * Pushes a response's stored events after `after` as they are stored (read every FOLLOW_POLL_MS), until the
   * response is over (its row is final: every event was stored before it), the reader left, or `stopped()`.
   */
  follow(id: string, after: number, events: AsyncQueue<ResponseEvent>, present: (event: ResponseEvent) => ResponseEvent, stopped: () => boolean): void {
    const { responses, responseEvents } = this.deps.repos;
    const tick = (): void => {
      if (events.closed) return;
      try {
        const over = isFinal(responses.get(id)?.status); // read first: events stored before it are all there
        for (const event of responseEvents.after(id, after)) {
          after = event.sequence_number;
          if (!events.push(present(event))) return;
        }
        if (over || stopped()) events.close();
        else setTimeout(tick, FOLLOW_POLL_MS).unref();
      } catch (err) {
        log.error({ err, response_id: id }, "following a response's stored events failed");
        events.close();
      }
    };
    tick();
  }
}
