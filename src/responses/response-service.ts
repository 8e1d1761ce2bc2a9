import type { CompactParams, InputTokensParams, ResponseCreateParams } from "../api/responses.js";
import type { CompactedResponse, Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { Clock } from "../clock.js";
import type { ClusterSignals } from "../cluster/signals.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import { AsyncQueue } from "../concurrency/async-queue.js";
import { badRequest, notFound } from "../errors.js";
import { ModelError, type ChatModel, type TokenCount } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { ContainerService } from "../objects/container-service.js";
import { estimate, tokenCounter } from "../llm/token-count.js";
import { MAX_BUFFERED_EVENTS } from "../runs/run-stream.js";
import { ServerShutdown } from "../runs/state.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";
import type { Toolbox } from "../tools/toolbox.js";
import { errorOf, executeResponse, ResponseCancelled, type ExecuteOptions } from "./executor.js";
import { streamChatTurn } from "../runs/chat-turn.js";
import { COMPACT_INSTRUCTION, compactedResponse } from "./compaction.js";
import type { ConversationHold, ConversationService } from "./conversations.js";
import { modelRequest } from "./model-request.js";
import type { AttachmentDeps } from "./attachments.js";
import { prepareResponse, type Prepared } from "./prepare.js";
import { OtherNodes } from "./other-nodes.js";
import { ResponsePresenter } from "./present.js";
import { ResponseWriter, zeroUsage } from "./response-writer.js";
import { log, withLogFields } from "../log.js";
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
}

/** What one WebSocket connection remembers between its turns: the last response that ended well, and its history. */
export interface ConnectionMemory {
  last: { id: string; items: ResponseItem[] } | null;
}

/** A streaming response as the HTTP layer writes it: its events until the last. */
/** A reader's view of a response's events: the next one, leaving (`close`), and whether it was dropped for lagging. */
export interface ResponseEvents {
  next(signal?: AbortSignal): Promise<IteratorResult<ResponseEvent, undefined>>;
  close(): void;
  readonly dropped: AbortSignal;
}

/** A response executing in this process: how to stop it, when it ends, and who reads its events live. */
interface Active {
  controller: AbortController;
  done: Promise<Response>;
  listeners: Set<(event: ResponseEvent) => void>;
  /** Set by delete: nothing of it is stored any more. */
  deleted: boolean;
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

  constructor(private readonly deps: ResponseServiceDeps) {
    this.present = new ResponsePresenter(deps.tools);
    this.elsewhere = new OtherNodes({ ...deps, isLocal: (id) => this.active.has(id), stopLocal: (id, reason) => this.active.get(id)?.controller.abort(reason) });
  }

  /** A plain request waits for the end; a background one answers at once, with the response in progress. */
  async create(p: ResponseCreateParams): Promise<Response> {
    const prepared = await this.prepare(p);
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
    if (!active) return this.present.response(await this.elsewhere.cancel(response), []);
    active.controller.abort(new ResponseCancelled());
    return this.present.response(await active.done, []);
  }

  /** Ends what a previous process left running, once at boot (and, sharing the store, what dead nodes left). */
  recover(): void {
    this.elsewhere.start();
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

  /**
   * The input tokens a create request would send: instructions, history and input as the model sees them, and
   * the tool definitions offered. Counted as the prompt fitter counts, the number `truncation` decides by: with
   * the model's own tokenizer where its engine has one (the embedded engine: exact), else by `estimate` (about
   * three characters a token, on the high side: Ollama exposes no tokenizer), also when the model cannot be
   * asked now. Nothing is stored or created.
   */
  async inputTokens(p: InputTokensParams): Promise<{ object: "response.input_tokens"; input_tokens: number }> {
    // A conversation's items count as its history, read without taking it (nothing runs).
    const conversationId = conversationIdOf(p.conversation);
    if (conversationId !== null && p.previous_response_id) throw badRequest("previous_response_id and conversation cannot be used together: a conversation carries its own history.", "previous_response_id");
    const history = conversationId === null ? undefined : this.deps.conversations.historyOf(conversationId, "conversation");
    const prepared = await prepareResponse({ ...p, model: p.model ?? "default" }, this.deps, { dryRun: true, ...(history ? { history } : {}) });
    const hint = prepared.offered.length > 0 ? this.deps.tools.hint(prepared.choice) : null;
    const tools = this.deps.tools.offered(prepared.offered, prepared.choice);
    const messages = [...prepared.messages, ...(hint ? [{ role: "system" as const, content: hint }] : [])];
    const toolTokens = tools.length > 0 ? Math.ceil(JSON.stringify(tools).length / 3) : 0;
    return { object: "response.input_tokens", input_tokens: (await this.counterFor(prepared.response.model))(messages) + toolTokens };
  }

  private async counterFor(model: string): Promise<TokenCount> {
    try {
      return tokenCounter(await this.deps.chat.details(this.deps.models.resolveChat(model).tag));
    } catch {
      return estimate; // the model is not reachable now: counting needs no model call
    }
  }

  /**
   * Compacts a conversation (input and/or a stored chain) into its user messages and one compaction item whose
   * summary the model writes; the items can be sent back as input to go on in less context. Nothing is stored.
   * A model failure is an HTTP error here: nothing else could report it.
   */
  async compact(p: CompactParams): Promise<CompactedResponse> {
    const params = { model: p.model ?? this.deps.models.defaultChatModel, input: p.input ?? undefined, previous_response_id: p.previous_response_id, instructions: p.instructions, truncation: "auto" as const };
    const prepared = await prepareResponse(params, this.deps, { dryRun: true, inputOptional: true });
    const asked: Prepared = { ...prepared, messages: [...prepared.messages, { role: "user", content: COMPACT_INSTRUCTION }], offered: [], format: undefined };
    delete asked.visionMessages; // the summary is of the words; images are named in them
    const summarize = async () => {
      const request = await modelRequest(asked, this.deps);
      if ("error" in request) throw badRequest(request.error.message, "input", request.error.code);
      return streamChatTurn(this.deps.chat, request, new AbortController().signal, () => undefined);
    };
    const turn = await summarize().catch((err: unknown) => {
      throw err instanceof ModelError ? err.toApiError() : err;
    });
    const usage = { ...zeroUsage(), input_tokens: turn.promptTokens, output_tokens: turn.completionTokens, total_tokens: turn.promptTokens + turn.completionTokens };
    usage.output_tokens_details.reasoning_tokens = turn.thinkingTokens;
    return compactedResponse([...prepared.history, ...prepared.input], turn.text.trim(), usage, this.deps.clock());
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
    this.stored(id);
    const active = this.active.get(id);
    if (active) {
      active.deleted = true;
      active.controller.abort(new ResponseCancelled());
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
    const shutdown = new ServerShutdown();
    const pending = [...this.active.values()];
    for (const { controller } of pending) controller.abort(shutdown);
    await Promise.all(pending.map((a) => a.done));
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
   */
  private execute(prepared: Prepared & { hold?: ConversationHold }, reader: ((event: ResponseEvent) => void) | null): Promise<Response> {
    const { response, input } = prepared;
    const { repos } = this.deps;
    if (response.store) {
      // Leased before it is stored in progress, so no other node's sweep takes it for orphaned (a new id: always free).
      this.deps.leases.claim("response", response.id);
      try {
        repos.responses.insert(response);
        repos.responseItems.insertAll(response.id, response.created_at, input);
      } catch (err) {
        this.deps.leases.release("response", response.id);
        prepared.hold?.release(null); // nothing started: the conversation is free again
        throw err;
      }
    }
    const active: Active = { controller: new AbortController(), done: Promise.resolve(response), listeners: new Set(reader ? [reader] : []), deleted: false };
    this.active.set(response.id, active);
    active.done = withLogFields({ response_id: response.id }, () => this.run(prepared, this.sinkFor(response, active), active.controller)).then((ended) => {
      // In a conversation: the input and output join it when the response ended well (the hold ends either way).
      const endedWell = ended.status === "completed" || ended.status === "incomplete";
      try {
        prepared.hold?.release(endedWell ? [...input, ...ended.output] : null);
      } catch (err) {
        // The response is over either way; a conversation that could not take its items must not crash the server.
        log.error({ err, response_id: response.id, conversation_id: prepared.hold?.id }, "adding the response's items to its conversation failed");
      }
      return ended;
    }).finally(() => {
      // Last: a node waiting on another's cancel reads the lease gone only once the conversation is free too.
      if (response.store) this.deps.leases.release("response", response.id);
    });
    return active.done;
  }

  /**
   * Where a response's events go: to its live readers, and for a background one first to the store (so a
   * stream can be resumed), with the response row brought up to date at each event but text deltas (so a GET
   * while it runs shows its items and their status).
   */
  private sinkFor(response: Response, active: Active): (event: ResponseEvent) => void {
    const { responses, responseEvents } = this.deps.repos;
    return (event) => {
      if (response.background && !active.deleted) {
        responseEvents.append(response.id, event);
        // Every change but a delta (the many small ones) is stored: items opening, changing status, ending.
        if (!event.type.endsWith(".delta")) responses.update(response);
      }
      for (const listener of active.listeners) listener(event);
    };
  }

  private async run(prepared: Prepared, sink: (event: ResponseEvent) => void, controller: AbortController): Promise<Response> {
    const { response } = prepared;
    const { repos, clock } = this.deps;
    const writer = new ResponseWriter(response, sink, clock);
    writer.start();
    await Promise.resolve(); // registered as active before any work that could end it
    let ended: Response;
    try {
      const request = await modelRequest(prepared, this.deps);
      ended = "error" in request ? writer.fail(request.error) : await executeResponse(writer, request, this.executeOptions(prepared), controller.signal);
    } catch (err) {
      ended = controller.signal.reason instanceof ResponseCancelled ? writer.cancel() : writer.fail(errorOf(err, controller.signal));
    } finally {
      this.active.delete(response.id);
    }
    this.deps.metrics?.responsesEnded.inc({ status: ended.status });
    // Deleted while it ran: nothing to store again.
    if (response.store && repos.responses.get(response.id)) repos.responses.update(ended);
    return ended;
  }

  private executeOptions(prepared: Prepared): ExecuteOptions {
    const { response, container } = prepared;
    const { containers } = this.deps;
    return {
      chat: this.deps.chat,
      tools: this.deps.tools,
      configured: prepared.configured,
      scope: {
        tools: prepared.configured,
        vectorStoreIds: prepared.vectorStoreIds,
        filters: prepared.filters,
        // The container is the sandbox session: its variables and files carry on across calls and responses.
        sessionKey: container?.id ?? response.id,
        codeFileIds: container?.fileIds ?? [],
        filesWritten: container ? (files) => void containers.addFiles(container.id, files.map((f) => f.file_id), "tools") : undefined,
      },
      parallelToolCalls: response.parallel_tool_calls,
      containerId: container?.id ?? "",
      maxToolCalls: response.max_tool_calls,
      sources: prepared.sources,
    };
  }
}

/** The conversation a request names (an id, or `{id}`), or null. */
function conversationIdOf(conversation: ResponseCreateParams["conversation"]): string | null {
  return typeof conversation === "string" ? conversation : (conversation?.id ?? null);
}
