/**
 * Background responses an api node (ROLE=api, several nodes on one store) leaves to the worker nodes, as it
 * leaves them its queued runs: stored `queued` (events `response.created`, `response.queued`) with the request
 * they are executed from, and taken by whichever node claims their lease first (polled, as queued runs are).
 * A queued response in a conversation keeps the conversation held: the api node parks its hold, and the node
 * that takes the response adopts it. Cancelled or deleted while still queued, a response ends where it is.
 */
import type { ResponseCreateParams } from "../api/responses.js";
import type { Response, ResponseEvent } from "../api/responses-wire.js";
import type { Clock } from "../clock.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import { guarded, log } from "../log.js";
import { allProjects, DEFAULT_PROJECT, inProject } from "../store/project-scope.js";
import type { Repos } from "../store/repos.js";
import type { ConversationHold, ConversationService } from "./conversations.js";
import type { Prepared } from "./prepare.js";
import { ResponseWriter } from "./response-writer.js";

/** What a queued response is executed from: the request (its `auto` container resolved) and its held conversation. */
export interface QueuedRequest {
  params: ResponseCreateParams;
  /** The conversation held for it (its lease parked for the response). */
  conversation: string | null;
}

/** How often a node that takes queued responses looks for them (as for queued runs). */
const TAKE_POLL_MS = 200;

export class ResponseQueue {
  private poller: NodeJS.Timeout | null = null;
  /** Queued responses this node took and still executes: at most `concurrency`. */
  private readonly taken = new Set<string>();

  constructor(
    private readonly deps: {
      repos: Pick<Repos, "responses" | "responseItems" | "responseEvents">;
      leases: WorkLeases;
      conversations: Pick<ConversationService, "adopt">;
      clock: Clock;
      role: "all" | "api" | "worker";
      concurrency: number;
      /** Executes a queued response this node took (its lease held, in its project) until it ended. */
      execute(response: Response, request: QueuedRequest): Promise<unknown>;
    },
  ) {}

  /** Whether this node leaves the response to a worker: a background one received by an api node. */
  queues(response: Response): boolean {
    return this.deps.role === "api" && this.deps.leases.shared && response.background && response.store;
  }

  /**
   * Stores the prepared response queued, with its input items, its first events and the request a worker
   * executes it from; the row comes last, so a node that finds it finds everything. Its conversation stays held.
   */
  enqueue(prepared: Prepared & { hold?: ConversationHold }, params: ResponseCreateParams): Response {
    const { response, input } = prepared;
    const { responses, responseItems, responseEvents } = this.deps.repos;
    const events: ResponseEvent[] = [];
    new ResponseWriter(response, (event) => events.push(event), this.deps.clock).queue();
    const request: QueuedRequest = { params: resolved(params, prepared), conversation: prepared.hold?.id ?? null };
    try {
      responses.saveRequest(response.id, request);
      responseItems.insertAll(response.id, response.created_at, input);
      for (const event of events) responseEvents.append(response.id, event);
      responses.insert(response);
    } catch (err) {
      prepared.hold?.release(null); // nothing queued: the conversation is free again
      responses.deleteRequest(response.id);
      throw err;
    }
    prepared.hold?.park();
    return response;
  }

  /** On nodes that execute queued work (ROLE=worker or all, on a shared store): starts taking it. */
  start(): void {
    if (this.deps.role === "api" || !this.deps.leases.shared || this.poller !== null) return;
    this.poller = setInterval(() => guarded("taking queued responses", () => allProjects(() => this.take())), TAKE_POLL_MS);
    this.poller.unref();
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
  }

  /** Takes queued responses nobody holds (the work queue's claim), oldest first, up to `concurrency` at once here. */
  private take(): void {
    const { responses } = this.deps.repos;
    const { leases } = this.deps;
    for (const id of leases.claimQueued("response", this.deps.concurrency - this.taken.size)) {
      try {
        inProject(responses.projectOf(id) ?? DEFAULT_PROJECT, () => this.takeUp(id));
      } catch (err) {
        // Each claimed one on its own: an error here leaves this one queued for the next look, not the others held.
        log.error({ err, response_id: id }, "taking up a queued response failed");
        if (!this.taken.has(id)) guarded("giving back a queued response's lease", () => leases.release("response", id));
      }
    }
  }

  /** A response whose lease this node just took: executed, unless it was cancelled or deleted meanwhile. */
  private takeUp(id: string): void {
    const { responses } = this.deps.repos;
    const response = responses.get(id);
    const request = responses.request<QueuedRequest>(id);
    if (!response || response.status !== "queued" || !request) {
      this.deps.leases.release("response", id);
      if (response?.status === "queued") log.error({ response_id: id }, "a queued response has no stored request; it stays queued");
      return;
    }
    this.taken.add(id);
    this.deps.execute(response, request)
      .catch((err: unknown) => log.error({ err, response_id: id }, "a queued response taken up here failed outside its execution"))
      .finally(() => this.taken.delete(id));
  }

  /**
   * A queued response no node has taken, ended `cancelled` here (no event, as the hosted API sends none) and
   * its conversation freed. Null: it is not queued, or a node is taking it up (cancel it there).
   */
  cancel(response: Response): Response | null {
    let cancelled: Response | null = null;
    this.whileQueued(response, (current) => {
      cancelled = new ResponseWriter(current, () => undefined, this.deps.clock).cancel();
      this.deps.repos.responses.update(cancelled);
    });
    return cancelled;
  }

  /**
   * Runs `end` on a response still queued, holding its lease so that no node takes it up meanwhile; afterwards
   * its request is gone and its conversation free. False: it is not queued, or a node is taking it up.
   */
  whileQueued(response: Response, end: (current: Response) => void): boolean {
    const { responses } = this.deps.repos;
    if (response.status !== "queued" || !this.deps.leases.claim("response", response.id)) return false;
    try {
      const current = responses.get(response.id);
      if (!current || current.status !== "queued") return false;
      const conversation = responses.request<QueuedRequest>(response.id)?.conversation;
      end(current);
      responses.deleteRequest(response.id);
      try {
        if (conversation) this.deps.conversations.adopt(conversation, response.id, "conversation").release(null);
      } catch {
        // Held otherwise since (the parked lease lapsed while no node ran): not this response's to free.
      }
      return true;
    } finally {
      this.deps.leases.release("response", response.id);
    }
  }
}

/** The request as a worker executes it: an `auto` container is the one made for it here, not another. */
function resolved(params: ResponseCreateParams, prepared: Prepared): ResponseCreateParams {
  const { container } = prepared;
  if (!container || !params.tools) return params;
  return { ...params, tools: params.tools.map((t) => (t.type === "code_interpreter" ? { ...t, container: container.id } : t)) };
}
