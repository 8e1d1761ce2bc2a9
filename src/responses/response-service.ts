import type { CompactParams, InputTokensParams, ResponseCreateParams } from "../api/responses.js";
import type { CompactedResponse, Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { Clock } from "../clock.js";
import type { ClusterSignals } from "../cluster/signals.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import { AsyncQueue } from "../concurrency/async-queue.js";
import { badRequest, notFound } from "../errors.js";
import type { ChatModel } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { ContainerService } from "../objects/container-service.js";
import { MAX_BUFFERED_EVENTS } from "../runs/run-stream.js";
import { ServerShutdown } from "../runs/state.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";
import type { Toolbox } from "../tools/toolbox.js";
import { errorOf, executeOptionsFor, executeResponse, ResponseCancelled } from "./executor.js";
import { conversationIdOf, endHold, type ConversationHold, type ConversationService } from "./conversations.js";
import { compactConversation, countInputTokens } from "./dry-runs.js";
import { modelRequest } from "./model-request.js";
import type { AttachmentDeps } from "./attachments.js";
import { prepareResponse, type Prepared } from "./prepare.js";
import { OtherNodes } from "./other-nodes.js";
import { ResponsePresenter } from "./present.js";
import { ResponseQueue, type QueuedRequest } from "./response-queue.js";
import { ResponseWriter } from "./response-writer.js";
import { eventSink, type Active } from "./event-sink.js";
import type { ConnectionMemory, ResponseEvents } from "./response-events.js";
import { guarded, log } from "../log.js";
import type { MetricsSink } from "../metrics.js";

export interface ResponseServiceDeps {
  repos: Pick<Repos, "responses" | "responseItems" | "responseEvents" | "assistants">;
  conversations: ConversationService;
  chat: ChatModel;
  models: ModelCatalog;
  tools: Toolbox;
  containers: ContainerService;
  attachments: AttachmentDeps;
  clock: Clock;
  /** Which node executes a stored response (cluster/work-leases.ts), and signals to it (a cancel received elsewhere). */
  leases: WorkLeases;
  signals: ClusterSignals;
  metrics?: Pick<MetricsSink, "responsesEnded">;
  /** ROLE: an `api` node leaves background responses to the others (response-queue.ts). Default `all`. */
  role?: "all" | "api" | "worker";
  /** How many queued responses a node takes up at once (RUN_CONCURRENCY, as for runs). */
  concurrency?: number;
  /** Runs `fn` in one transaction of the store. */
  atomically<T>(fn: () => T): T;
}

/**
 * The Responses API over the store: a response is prepared (validated, its history resolved), stored with its
 * input items, executed on the model through a ResponseWriter, and stored again as it ended. A streaming request
 * gets the writer's events; a plain one waits for the end. With `store: false` nothing is kept.
 */
export class ResponseService {
  private readonly active = new Map<string, Active>();
  private closed = false;
  private readonly present: ResponsePresenter;
  private readonly elsewhere: OtherNodes;
  private readonly queue: ResponseQueue;

  constructor(private readonly deps: ResponseServiceDeps) {
    this.present = new ResponsePresenter(deps.tools);
    const isLocal = (id: string) => this.active.has(id);
    const stopLocal = (id: string, reason: Error, deleted = false) => {
      const active = this.active.get(id);
      if (!active) return;
      active.deleted ||= deleted;
      active.controller.abort(reason);
    };
    this.elsewhere = new OtherNodes({ ...deps, isLocal, stopLocal });
    this.queue = new ResponseQueue({ ...deps, role: deps.role ?? "all", concurrency: deps.concurrency ?? 8, execute: (response, request) => this.resume(response, request) });
  }

  /**
   * A plain request waits for the end; a background one answers at once, with the response in progress (or,
   * received by an api node, queued for a worker).
   */
  async create(p: ResponseCreateParams): Promise<Response> {
    const prepared = await this.prepare(p);
    if (this.queue.queues(prepared.response)) return this.present.response(this.queue.enqueue(prepared, p), prepared.include);
    const done = this.execute(prepared, null);
    if (prepared.response.background) return this.present.response(this.stored(prepared.response.id), prepared.include);
    return this.present.response(await done, prepared.include);
  }

  /**
   * Stops a background response at once (model stream, tool calls) and ends it `cancelled`; one that already
   * ended is returned as it is.
   */
  async cancel(id: string): Promise<Response> {
    const response = this.stored(id);
    if (!response.background) throw badRequest("Only responses created with background=true can be cancelled.", null);
    const active = this.active.get(id);
    if (!active) return this.present.response(this.queue.cancel(response) ?? (await this.elsewhere.cancel(response)), []);
    active.controller.abort(new ResponseCancelled());
    return this.present.response(await active.done, []);
  }

  /** Ends what a previous process left running, once at boot (and, sharing the store, what dead nodes left). */
  recover(): void {
    this.elsewhere.start();
    this.queue.start();
  }

  /**
   * Starts the response and returns its events; a reader that leaves stops reading, not the response, unless
   * the response is kept nowhere (`store: false`, not background): then nobody could ever see it, and it is
   * cancelled (model call and tools stopped). With a
   * WebSocket connection's `memory`, a response continuing the one it remembers starts from the history it
   * kept (so `store: false` can continue on the same socket), and the response that ends well is remembered.
   */
  async createStream(p: ResponseCreateParams, memory?: ConnectionMemory): Promise<ResponseEvents> {
    const remembered = memory?.last && memory.last.id === p.previous_response_id ? memory.last.items : undefined;
    const prepared = await this.prepare(p, remembered);
    if (this.queue.queues(prepared.response)) {
      // Executed by a worker: its events are read back as that node stores them.
      this.queue.enqueue(prepared, p);
      return this.streamStored(prepared.response.id, undefined, prepared.include);
    }
    const events = new AsyncQueue<ResponseEvent>({ maxBuffered: MAX_BUFFERED_EVENTS });
    let over = false;
    void this.execute(prepared, (event) => void events.push(this.present.event(event, prepared.include)))
      .then((ended) => {
        over = true;
        if (memory && (ended.status === "completed" || ended.status === "incomplete")) {
          memory.last = { id: ended.id, items: [...prepared.history, ...prepared.input, ...ended.output] };
        }
      })
      .finally(() => events.close());
    const unseen = !prepared.response.store && !prepared.response.background;
    return {
      next: (signal) => events.next(signal),
      ready: () => events.ready(),
      close: () => {
        if (unseen && !over) this.active.get(prepared.response.id)?.controller.abort(new ResponseCancelled());
        events.close();
      },
      dropped: events.dropped,
    };
  }

  /**
   * A background response's events after sequence number `startingAfter` (all without it): those stored, then,
   * while it still runs here, the live ones. Replay and subscription happen in one synchronous step, and events
   * are stored before they reach listeners, so none is missed or repeated.
   */
  streamStored(id: string, startingAfter: number | undefined, include: readonly string[] = []): ResponseEvents {
    const response = this.stored(id);
    if (!response.background) {
      throw badRequest("Only responses created with background=true can be streamed again; this one was not.", "stream");
    }
    const past = this.deps.repos.responseEvents.after(id, startingAfter ?? -1);
    const events = new AsyncQueue<ResponseEvent>({ maxBuffered: MAX_BUFFERED_EVENTS + past.length });
    for (const event of past) events.push(this.present.event(event, include));
    const active = this.active.get(id);
    if (!active) {
      const running = response.status === "in_progress" || response.status === "queued";
      // Executing on another node: its events reach the database, where this node reads them as they come.
      if (running && this.deps.leases.shared) {
        this.elsewhere.follow(id, past.at(-1)?.sequence_number ?? startingAfter ?? -1, events, (event) => this.present.event(event, include), () => this.closed);
      }
      else events.close();
      return events;
    }
    const listener = (event: ResponseEvent): void => {
      if (!events.push(this.present.event(event, include))) active.listeners.delete(listener);
    };
    active.listeners.add(listener);
    void active.done.finally(() => {
      active.listeners.delete(listener);
      events.close();
    });
    return events;
  }

  /** The input tokens a create request would send (dry-runs.ts); nothing is stored or created. */
  inputTokens(p: InputTokensParams): Promise<{ object: "response.input_tokens"; input_tokens: number }> {
    return countInputTokens(p, this.deps);
  }

  /** A conversation compacted into its user messages and one summary (dry-runs.ts); nothing is stored. */
  compact(p: CompactParams): Promise<CompactedResponse> {
    return compactConversation(p, this.deps);
  }

  /** A stored response; `include` asks for what is left out by default (file_search results). */
  get(id: string, include: readonly string[] = []): Response {
    return this.present.response(this.stored(id), include);
  }

  private stored(id: string): Response {
    const response = this.deps.repos.responses.get(id);
    if (!response) throw notFound("response", id);
    return response;
  }

  delete(id: string): { id: string; object: "response"; deleted: true } {
    const response = this.stored(id);
    const active = this.active.get(id);
    if (active) {
      active.deleted = true;
      active.controller.abort(new ResponseCancelled());
    } else if (!this.queue.whileQueued(response, () => undefined) && (response.status === "queued" || response.status === "in_progress")) {
      this.elsewhere.forget(response); // executing on another node: it stops, storing nothing more of it
    }
    this.deps.repos.responseItems.deleteFor(id);
    this.deps.repos.responseEvents.deleteFor(id);
    this.deps.repos.responses.delete(id);
    return { id, object: "response", deleted: true };
  }

  inputItems(id: string, q: PageQuery, include: readonly string[] = []): Page<ResponseItem> | null {
    this.stored(id);
    const page = this.deps.repos.responseItems.page(id, q);
    return page && { ...page, data: page.data.map((item) => this.present.item(item, include)) };
  }

  /** An item as `include[]` asks to see it (conversation items are shown as input items are). */
  presentItem(item: ResponseItem, include: readonly string[]): ResponseItem {
    return this.present.item(item, include);
  }

  /** Responses still executing end `failed` (server_error), as a restart would leave them. */
  async close(): Promise<void> {
    this.closed = true;
    this.elsewhere.close();
    this.queue.close();
    const shutdown = new ServerShutdown();
    const pending = [...this.active.values()];
    for (const { controller } of pending) controller.abort(shutdown);
    await Promise.allSettled(pending.map((a) => a.done)); // a plain one's failed end is its request's to answer
  }

  private async prepare(p: ResponseCreateParams, history?: ResponseItem[]): Promise<Prepared & { hold?: ConversationHold }> {
    if (this.closed) throw new ServerShutdown();
    const conversationId = conversationIdOf(p.conversation);
    if (conversationId !== null && p.previous_response_id) {
      throw badRequest("previous_response_id and conversation cannot be used together: a conversation carries its own history.", "previous_response_id");
    }
    // Held before anything asynchronous, so a second response in the same conversation is refused, not interleaved.
    const hold = conversationId === null ? undefined : this.deps.conversations.hold(conversationId, "conversation");
    try {
      const prepared = await prepareResponse(p, this.deps, hold ? { history: hold.items } : history ? { history } : {});
      // Reading attachments took time: a shutdown that began meanwhile gets nothing new started.
      if (this.closed) throw new ServerShutdown();
      if (!hold) return prepared;
      hold.started(prepared.response.id);
      prepared.response.conversation = { id: hold.id };
      return { ...prepared, hold };
    } catch (err) {
      hold?.release(null);
      throw err;
    }
  }

  /**
   * Stores the response, then runs it; registered as active until it ended, so cancel and close can stop it and
   * streams can follow it. `reader` is the creating request's stream, if it streams.
   *
   * A plain request's response (not background, streamed to nobody) is stored once, as it ended (one commit):
   * its id reaches the client only with that answer, so nobody could read it in progress.
   */
  private execute(prepared: Prepared & { hold?: ConversationHold }, reader: ((event: ResponseEvent) => void) | null, takenUp?: TakenUp): Promise<Response> {
    const { response, input } = prepared;
    const { repos } = this.deps;
    const unseen = !takenUp && !response.background && reader === null;
    if (!takenUp && response.store) {
      // Leased before it is stored in progress, so no other node's sweep takes it for orphaned (a new id: always free).
      this.deps.leases.claim("response", response.id);
      try {
        if (!unseen) this.storeNew(prepared, response);
      } catch (err) {
        this.deps.leases.release("response", response.id);
        prepared.hold?.release(null); // nothing started: the conversation is free again
        throw err;
      }
    }
    const active: Active = takenUp?.active ?? { controller: new AbortController(), done: Promise.resolve(response), listeners: new Set(reader ? [reader] : []), deleted: false };
    this.active.set(response.id, active);
    // In a conversation: the input and output join it when the response ended well (the hold ends either way),
    // at its last event, before its status is stored: whoever reads it ended finds the items there. A plain
    // request's joins once it is stored (nobody reads it before), so a failed store adds nothing.
    const joinConversation = (ended: Response | null): void => endHold(prepared.hold, input, ended);
    const sink = eventSink(response, active, this.deps.repos, unseen ? undefined : joinConversation);
    // Then at the end: one without a last event (cancelled, failed), a plain request's, or one released already (a
    // no-op). A plain request whose end could not be stored answers that error, its conversation free again.
    const ending = this.run(prepared, sink, active.controller, takenUp?.next ?? null, unseen);
    active.done = ending.then((ended) => (joinConversation(ended), ended), (err: unknown) => (joinConversation(null), Promise.reject(err))).finally(() => {
      if (takenUp) repos.responses.deleteRequest(response.id);
      // Last: a node waiting on another's cancel reads the lease gone only once the conversation is free too.
      if (response.store) this.deps.leases.release("response", response.id);
    });
    return active.done;
  }

  /**
   * A response this node took from the queue (its lease held, in its project): prepared again from its
   * request, in its conversation (the hold adopted from the node that queued it), then executed as any other.
   * Registered as active at once, so a cancel or a stream arriving meanwhile finds it here.
   */
  private resume(response: Response, request: QueuedRequest): Promise<Response> {
    const active: Active = { controller: new AbortController(), done: Promise.resolve(response), listeners: new Set(), deleted: false };
    this.active.set(response.id, active);
    const { signal } = active.controller;
    active.done = (async () => {
      let hold: ConversationHold | undefined;
      let next = 0;
      let prepared: Prepared;
      try {
        next = (this.deps.repos.responseEvents.lastSequence(response.id) ?? -1) + 1;
        hold = request.conversation ? this.deps.conversations.adopt(request.conversation, response.id, "conversation") : undefined;
        prepared = await prepareResponse(request.params, this.deps, { response, ...(hold ? { history: hold.items } : {}) });
        // Its input items as stored when it was queued (their ids), not made again here.
        prepared.input = this.deps.repos.responseItems.all(response.id);
        signal.throwIfAborted();
      } catch (err) {
        if (signal.reason instanceof ServerShutdown && this.deps.leases.shared) return this.leaveQueued(response, hold);
        hold?.release(null);
        return this.endUntaken(response, active, next, err);
      }
      return this.execute({ ...prepared, ...(hold ? { hold } : {}) }, null, { active, next });
    })();
    return active.done;
  }

  /** This node stops before a response it took up started: it stays queued, its conversation parked for it again. */
  private leaveQueued(response: Response, hold: ConversationHold | undefined): Response {
    this.active.delete(response.id);
    hold?.park();
    this.deps.leases.release("response", response.id);
    return response;
  }

  /**
   * A queued response that could not start here (its conversation taken meanwhile, a file or container gone
   * since it was queued, or cancelled while it was prepared) ends as it would have running: failed or cancelled.
   */
  private endUntaken(response: Response, active: Active, next: number, err: unknown): Response {
    const { repos } = this.deps;
    this.active.delete(response.id);
    const writer = new ResponseWriter(response, eventSink(response, active, this.deps.repos), this.deps.clock);
    writer.resume(next, false);
    const ended = active.controller.signal.reason instanceof ResponseCancelled ? writer.cancel() : writer.fail(errorOf(err, active.controller.signal, response.id));
    repos.responses.update(ended); // deleted meanwhile: updates no row
    this.deps.metrics?.responsesEnded.inc({ status: ended.status });
    repos.responses.deleteRequest(response.id);
    this.deps.leases.release("response", response.id);
    return ended;
  }

  /** The response (as it starts, or as it ended) and its input items, in one commit. */
  private storeNew(prepared: Prepared, as: Response): void {
    const { repos } = this.deps;
    this.deps.atomically(() => {
      repos.responses.insert(as);
      repos.responseItems.insertAll(as.id, as.created_at, prepared.input);
    });
  }

  /** `resumeAt`: a queued response taken up, whose stored events end before it; `unseen`: see execute. */
  private async run(prepared: Prepared, sink: (event: ResponseEvent) => void, controller: AbortController, resumeAt: number | null, unseen: boolean): Promise<Response> {
    const { response } = prepared;
    const { repos, clock } = this.deps;
    const writer = new ResponseWriter(response, sink, clock, unseen);
    if (resumeAt === null) writer.start();
    else writer.resume(resumeAt);
    await Promise.resolve(); // registered as active before any work that could end it
    let ended: Response;
    try {
      const request = await modelRequest(prepared, this.deps);
      ended = "error" in request ? writer.fail(request.error) : await executeResponse(writer, request, executeOptionsFor(prepared, this.deps), controller.signal);
    } catch (err) {
      try {
        ended = controller.signal.reason instanceof ResponseCancelled ? writer.cancel() : writer.fail(errorOf(err, controller.signal, response.id));
      } catch (storing) { // storing its end failed too (a full disk, say): it is over all the same
        log.error({ err: storing, response_id: response.id }, "storing the response's end failed");
        ended = writer.current();
      }
    } finally {
      this.active.delete(response.id);
    }
    this.deps.metrics?.responsesEnded.inc({ status: ended.status });
    // A plain request's, stored only now: a failure is that request's answer (500), nobody else waits on it.
    if (response.store && unseen) this.storeNew(prepared, ended);
    // Deleted while it ran: the update finds no row, and nothing is stored again. Background and streamed ones
    // must end here whatever the store does: nobody awaits them, and a rejection would end the process.
    else if (response.store) guarded("storing the response's end", () => repos.responses.update(ended));
    return ended;
  }
}

/** A queued response taken up by this node: its registration, and the sequence number its events go on from. */
interface TakenUp {
  active: Active;
  next: number;
}
