import type { FileSearchToolParam, ResponseCreateParams, ResponseToolChoice, TextFormatParam } from "../api/responses.js";
import type { Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { AssistantTool, ToolChoice } from "../api/wire.js";
import type { AttributeFilter } from "../api/vector-stores.js";
import type { Clock } from "../clock.js";
import { AsyncQueue } from "../concurrency/async-queue.js";
import { badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { ChatMessage, ChatModel, ChatRequest } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import { estimate } from "../runs/prompt.js";
import { resolveModel } from "../runs/request-plan.js";
import { MAX_BUFFERED_EVENTS } from "../runs/run-stream.js";
import { ServerShutdown } from "../runs/state.js";
import { inProject } from "../store/project-scope.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";
import type { Toolbox } from "../tools/toolbox.js";
import { errorOf, executeResponse, ResponseCancelled } from "./executor.js";
import { chainItems, inputItems, toChatMessages } from "./input-items.js";
import { ResponseWriter } from "./response-writer.js";

export interface ResponseServiceDeps {
  repos: Pick<Repos, "responses" | "responseItems" | "responseEvents">;
  chat: ChatModel;
  models: ModelCatalog;
  tools: Toolbox;
  clock: Clock;
}

/** A streaming response as the HTTP layer writes it: its events until the last. */
export type ResponseEvents = AsyncQueue<ResponseEvent>;

/** A response executing in this process: how to stop it, when it ends, and who reads its events live. */
interface Active {
  controller: AbortController;
  done: Promise<Response>;
  listeners: Set<(event: ResponseEvent) => void>;
  /** Set by delete: nothing of it is stored any more. */
  deleted: boolean;
}

/** Everything a response is executed from, settled before anything is stored or streamed. */
interface Prepared {
  response: Response;
  include: readonly string[];
  configured: AssistantTool[];
  vectorStoreIds: string[];
  filters: AttributeFilter | undefined;
  input: ResponseItem[];
  messages: ChatMessage[];
  offered: AssistantTool[];
  choice: ToolChoice;
  format: ChatRequest["format"] | undefined;
}

/**
 * The Responses API over the store: a response is prepared (validated, its history resolved), stored with its
 * input items, executed on the model through a ResponseWriter, and stored again as it ended. A streaming request
 * gets the writer's events; a plain one waits for the end. With `store: false` nothing is kept.
 */
export class ResponseService {
  private readonly active = new Map<string, Active>();
  private closed = false;

  constructor(private readonly deps: ResponseServiceDeps) {}

  /** A plain request waits for the end; a background one answers at once, with the response in progress. */
  async create(p: ResponseCreateParams): Promise<Response> {
    const prepared = this.prepare(p);
    const done = this.execute(prepared, null);
    if (prepared.response.background) return present(this.stored(prepared.response.id), prepared.include);
    return present(await done, prepared.include);
  }

  /**
   * Stops a background response at once (model stream, tool calls) and ends it `cancelled`; one that already
   * ended is returned as it is.
   */
  async cancel(id: string): Promise<Response> {
    const response = this.stored(id);
    if (!response.background) throw badRequest("Only responses created with background=true can be cancelled.", null);
    const active = this.active.get(id);
    if (!active) return response;
    active.controller.abort(new ResponseCancelled());
    return present(await active.done, []);
  }

  /** Ends what a previous process left running (a background response, or a plain one cut by a crash). Call once at boot. */
  recover(): void {
    const { responses, responseEvents } = this.deps.repos;
    for (const response of responses.unfinished()) {
      const error = { code: "server_error", message: "The server stopped while this response was in progress (crash or restart). Create it again to retry." };
      const failed: Response = { ...response, status: "failed", error, output: response.output.map((o) => (o.status === "in_progress" || o.status === "searching" ? { ...o, status: "incomplete" } : o)) as Response["output"] };
      responses.update(failed);
      // A resumed stream of it ends, as a live one would have, with response.failed.
      if (response.background) {
        inProject(responses.projectOf(response.id) ?? "default", () =>
          responseEvents.append(response.id, { type: "response.failed", sequence_number: (responseEvents.lastSequence(response.id) ?? -1) + 1, response: failed }),
        );
      }
    }
  }

  /** Starts the response and returns its events; a reader that leaves stops reading, not the response. */
  createStream(p: ResponseCreateParams): ResponseEvents {
    const prepared = this.prepare(p);
    const events = new AsyncQueue<ResponseEvent>({ maxBuffered: MAX_BUFFERED_EVENTS });
    void this.execute(prepared, (event) => void events.push(presentEvent(event, prepared.include))).finally(() => events.close());
    return events;
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
    for (const event of past) events.push(presentEvent(event, include));
    const active = this.active.get(id);
    if (!active) {
      events.close();
      return events;
    }
    const listener = (event: ResponseEvent): void => {
      if (!events.push(presentEvent(event, include))) active.listeners.delete(listener);
    };
    active.listeners.add(listener);
    void active.done.finally(() => {
      active.listeners.delete(listener);
      events.close();
    });
    return events;
  }

  /** A stored response; `include` asks for what is left out by default (file_search results). */
  get(id: string, include: readonly string[] = []): Response {
    return present(this.stored(id), include);
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

  inputItems(id: string, q: PageQuery): Page<ResponseItem> | null {
    this.stored(id);
    return this.deps.repos.responseItems.page(id, q);
  }

  /** Responses still executing end `failed` (server_error), as a restart would leave them. */
  async close(): Promise<void> {
    this.closed = true;
    const shutdown = new ServerShutdown();
    const pending = [...this.active.values()];
    for (const { controller } of pending) controller.abort(shutdown);
    await Promise.all(pending.map((a) => a.done));
  }

  private prepare(p: ResponseCreateParams): Prepared {
    if (this.closed) throw new ServerShutdown();
    refuseUnserved(p);
    const store = p.store ?? true;
    const history = p.previous_response_id ? chainItems(p.previous_response_id, this.deps.repos) : [];
    const input = inputItems(p.input, history);
    if (input.length === 0) throw badRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter");
    const fileSearch = (p.tools ?? []).find((t) => t.type === "file_search") as FileSearchToolParam | undefined;
    const functions = (p.tools ?? []).flatMap((t): AssistantTool[] =>
      t.type === "file_search"
        ? [{ type: "file_search", file_search: { ...(fileSearch?.max_num_results ? { max_num_results: fileSearch.max_num_results } : {}), ...(fileSearch?.ranking_options?.score_threshold !== undefined ? { ranking_options: { ranker: fileSearch.ranking_options.ranker ?? "auto", score_threshold: fileSearch.ranking_options.score_threshold } } : {}) } }]
        : t.type === "function"
        ? [{ type: "function", function: { name: t.name as string, ...(t.description ? { description: t.description as string } : {}), parameters: (t.parameters ?? { type: "object", properties: {} }) as Record<string, unknown>, strict: (t.strict as boolean | null | undefined) ?? null } }]
        : [],
    );
    const { offered, choice } = narrowTools(functions, p.tool_choice ?? "auto");
    const configured = functions;
    const messages = toChatMessages([...history, ...input]);
    const instructions = p.instructions ?? null;
    const response: Response = {
      id: newId("resp_"),
      object: "response",
      created_at: this.deps.clock(),
      status: "in_progress",
      completed_at: null,
      error: null,
      incomplete_details: null,
      instructions,
      max_output_tokens: p.max_output_tokens ?? null,
      max_tool_calls: p.max_tool_calls ?? null,
      model: p.model,
      output: [],
      parallel_tool_calls: p.parallel_tool_calls ?? true,
      previous_response_id: p.previous_response_id ?? null,
      reasoning: { effort: null, summary: null },
      store,
      background: p.background ?? false,
      temperature: p.temperature ?? 1,
      top_p: p.top_p ?? 1,
      text: { format: p.text?.format ?? { type: "text" }, verbosity: p.text?.verbosity ?? "medium" },
      tool_choice: p.tool_choice ?? "auto",
      tools: (p.tools ?? []).map((t) => ({ ...t, ...(t.type === "function" ? { description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? true } : {}) })),
      truncation: p.truncation ?? "disabled",
      metadata: p.metadata ?? {},
      service_tier: p.service_tier === "auto" || !p.service_tier ? "default" : p.service_tier,
      prompt_cache_key: p.prompt_cache_key ?? null,
      safety_identifier: p.safety_identifier ?? null,
      top_logprobs: 0,
      ...(p.user !== undefined ? { user: p.user } : {}),
    };
    const system: ChatMessage[] = instructions ? [{ role: "system", content: instructions }] : [];
    return {
      response,
      include: p.include ?? [],
      configured,
      vectorStoreIds: fileSearch?.vector_store_ids ?? [],
      filters: fileSearch?.filters ?? undefined,
      input,
      messages: [...system, ...messages],
      offered,
      choice,
      format: formatOf(p.text?.format),
    };
  }

  /**
   * Stores the response, then runs it; registered as active until it ended, so cancel and close can stop it and
   * streams can follow it. `reader` is the creating request's stream, if it streams.
   */
  private execute(prepared: Prepared, reader: ((event: ResponseEvent) => void) | null): Promise<Response> {
    const { response, input } = prepared;
    const { repos } = this.deps;
    if (response.store) {
      repos.responses.insert(response);
      repos.responseItems.insertAll(response.id, response.created_at, input);
    }
    const active: Active = { controller: new AbortController(), done: Promise.resolve(response), listeners: new Set(reader ? [reader] : []), deleted: false };
    this.active.set(response.id, active);
    active.done = this.run(prepared, this.sinkFor(response, active), active.controller);
    return active.done;
  }

  /**
   * Where a response's events go: to its live readers, and for a background one first to the store (so a
   * stream can be resumed), with the response row brought up to date as each output item opens or ends (so a
   * GET while it runs shows its progress).
   */
  private sinkFor(response: Response, active: Active): (event: ResponseEvent) => void {
    const { responses, responseEvents } = this.deps.repos;
    return (event) => {
      if (response.background && !active.deleted) {
        responseEvents.append(response.id, event);
        if (event.type === "response.output_item.added" || event.type === "response.output_item.done") responses.update(response);
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
      const request = await this.request(prepared);
      ended = "error" in request ? writer.fail(request.error) : await executeResponse(
            writer,
            request,
            {
              chat: this.deps.chat,
              tools: this.deps.tools,
              configured: prepared.configured,
              scope: { tools: prepared.configured, vectorStoreIds: prepared.vectorStoreIds, filters: prepared.filters, sessionKey: response.id, codeFileIds: [] },
              parallelToolCalls: response.parallel_tool_calls,
            },
            controller.signal,
          );
    } catch (err) {
      ended = controller.signal.reason instanceof ResponseCancelled ? writer.cancel() : writer.fail(errorOf(err, controller.signal));
    } finally {
      this.active.delete(response.id);
    }
    // Deleted while it ran: nothing to store again.
    if (response.store && repos.responses.get(response.id)) repos.responses.update(ended);
    return ended;
  }

  /** The model request: the resolved model, the prompt fitted to its context (truncation), tools and format. */
  private async request(prepared: Prepared): Promise<ChatRequest | { error: { code: string; message: string } }> {
    const { response } = prepared;
    const { tag, numCtx } = await resolveModel(response.model, this.deps);
    const reserve = response.max_output_tokens ?? Math.min(1024, Math.floor(numCtx / 4));
    const budget = numCtx - reserve;
    const hint = prepared.offered.length > 0 ? this.deps.tools.hint(prepared.choice) : null;
    const tools = this.deps.tools.offered(prepared.offered, prepared.choice);
    const messages = fit([...prepared.messages, ...(hint ? [{ role: "system" as const, content: hint }] : [])], budget, response.truncation);
    if (!messages) {
      return {
        error: {
          code: "invalid_prompt",
          message: `The input does not fit in the model's context window (about ${estimate(prepared.messages)} tokens for ${budget} available). Shorten the input, set truncation to "auto" to drop the oldest items, or use a model with a larger context.`,
        },
      };
    }
    return {
      model: tag,
      messages,
      ...(tools.length > 0 ? { tools } : {}),
      ...(prepared.format ? { format: prepared.format } : {}),
      options: {
        num_ctx: numCtx,
        ...(response.temperature !== 1 ? { temperature: response.temperature } : {}),
        ...(response.top_p !== 1 ? { top_p: response.top_p } : {}),
        ...(response.max_output_tokens !== null ? { num_predict: response.max_output_tokens } : {}),
      },
    };
  }
}

/** file_search results are shown only when `include` asks for them (they are stored either way). */
function present(response: Response, include: readonly string[]): Response {
  if (include.includes("file_search_call.results") || !response.output.some((o) => o.type === "file_search_call")) return response;
  return { ...response, output: response.output.map(presentItem) };
}

function presentItem<T extends { type: string }>(item: T): T {
  return item.type === "file_search_call" ? { ...item, results: null } : item;
}

function presentEvent(event: ResponseEvent, include: readonly string[]): ResponseEvent {
  if (include.includes("file_search_call.results")) return event;
  if (event.response) return { ...event, response: present(event.response as Response, include) };
  if (event.item) return { ...event, item: presentItem(event.item as { type: string }) };
  return event;
}

/**
 * The prompt within `budget` tokens. `auto` drops the oldest turns after the system messages (never the last
 * user turn and what follows it); `disabled`, or nothing left to drop, gives null.
 */
function fit(messages: ChatMessage[], budget: number, truncation: "auto" | "disabled"): ChatMessage[] | null {
  if (estimate(messages) <= budget) return messages;
  if (truncation === "disabled") return null;
  const lead = messages.findIndex((m) => m.role !== "system");
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  if (lead === -1 || lastUser <= lead) return null;
  const kept = [...messages];
  let dropFrom = lead;
  while (dropFrom < lastUser && estimate(kept) > budget) {
    kept.splice(lead, 1);
    dropFrom++;
  }
  // A tool result must not lead the history without the call it answers.
  while (kept[lead]?.role === "tool") kept.splice(lead, 1);
  return estimate(kept) <= budget ? kept : null;
}

/** tool_choice in the Assistants shape the Toolbox applies, and the tools `allowed_tools` leaves. */
function narrowTools(tools: AssistantTool[], choice: ResponseToolChoice): { offered: AssistantTool[]; choice: ToolChoice } {
  if (typeof choice === "string") return { offered: tools, choice };
  if (choice.type === "file_search") {
    if (!tools.some((t) => t.type === "file_search")) throw badRequest("Tool choice 'file_search' not found in 'tools' parameter.", "tool_choice");
    return { offered: tools, choice: { type: "file_search" } };
  }
  if (choice.type === "function") {
    if (!tools.some((t) => t.type === "function" && t.function.name === choice.name)) {
      throw badRequest(`Tool choice '${choice.name}' not found in 'tools' parameter.`, "tool_choice");
    }
    return { offered: tools, choice: { type: "function", function: { name: choice.name } } };
  }
  const allowed = new Set(choice.tools.map((t) => (t.type === "function" && typeof t.name === "string" ? t.name : t.type)));
  return { offered: tools.filter((t) => allowed.has(t.type === "function" ? t.function.name : t.type)), choice: choice.mode };
}

function formatOf(format: TextFormatParam | undefined): ChatRequest["format"] | undefined {
  if (!format || format.type === "text") return undefined;
  return format.type === "json_object" ? "json" : format.schema;
}

/** What this version does not execute yet is a 400 naming the field, never a silent no-op. */
function refuseUnserved(p: ResponseCreateParams): void {
  if (p.background && p.store === false) throw badRequest("A background response must be stored: background requires store=true.", "background");
  const index = (p.tools ?? []).findIndex((t) => t.type !== "function" && t.type !== "file_search");
  if (index !== -1) throw badRequest(`Tools of type '${p.tools![index]!.type}' are not supported in responses by this server yet.`, `tools[${index}].type`, "unsupported_value");
  if (p.max_tool_calls != null) throw badRequest("max_tool_calls applies to built-in tools, which responses on this server do not run yet.", "max_tool_calls", "unsupported_value");
}
