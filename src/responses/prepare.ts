import type { CodeInterpreterToolParam, FileSearchToolParam, ResponseCreateParams, ResponseToolChoice, TextFormatParam, ToolParam } from "../api/responses.js";
import type { Response, ResponseItem } from "../api/responses-wire.js";
import type { AttributeFilter } from "../api/vector-stores.js";
import type { AssistantTool, ToolChoice } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { badRequest } from "../errors.js";
import { newId } from "../ids.js";
import type { ChatMessage, ChatRequest } from "../llm/chat-model.js";
import type { ContainerService } from "../objects/container-service.js";
import type { NumberedSource } from "../runs/citations.js";
import type { Repos } from "../store/repos.js";
import type { Toolbox } from "../tools/toolbox.js";
import { applyAssistantPrompt, type ResolvedCreateParams } from "./assistant-prompt.js";
import { loadAttachments, type AttachmentDeps } from "./attachments.js";
import { zeroUsage } from "./response-writer.js";
import { chainItems, changedItemIndex, inputItems, toChatMessages } from "./input-items.js";

export interface PrepareDeps {
  repos: Pick<Repos, "responses" | "responseItems" | "assistants">;
  tools: Toolbox;
  containers: ContainerService;
  attachments: AttachmentDeps;
  clock: Clock;
}

/** Everything a response is executed from, settled before anything is stored or streamed. */
export interface Prepared {
  response: Response;
  include: readonly string[];
  /** The request's tools in the Assistants shape the Toolbox knows. */
  configured: AssistantTool[];
  vectorStoreIds: string[];
  filters: AttributeFilter | undefined;
  /** The container code_interpreter runs in, and its files (none without code_interpreter). */
  container: { id: string; fileIds: string[] } | null;
  /** The previous_response_id chain's items, oldest first (none without one). */
  history: ResponseItem[];
  input: ResponseItem[];
  /** The prompt: instructions, then the history and input as chat messages (images named in the text). */
  messages: ChatMessage[];
  /** The same prompt for a vision model, the user's images sent; absent when there are none to send. */
  visionMessages?: ChatMessage[];
  /** Passages the history showed the model, numbered as it saw them (a reply may cite them). */
  sources: NumberedSource[];
  offered: AssistantTool[];
  choice: ToolChoice;
  format: ChatRequest["format"] | undefined;
}

export interface PrepareOptions {
  /** Count only: no container is made. */
  dryRun?: boolean;
  /** A chain alone will do (compaction). */
  inputOptional?: boolean;
  /** The previous response's history as a WebSocket connection remembers it (it may not be stored). */
  history?: ResponseItem[];
  /** The response as it was stored when queued (another node prepared it first): executed as it is. */
  response?: Response;
}

/**
 * A create request checked and resolved: its history (previous_response_id), its input items, its tools in the
 * Assistants shape, its container, and the response object as it starts. Throws a 400 naming the field for
 * anything it cannot serve or find; nothing is stored yet (an `auto` container is made unless `dryRun`).
 */
export async function prepareResponse(params: ResponseCreateParams, deps: PrepareDeps, options: PrepareOptions = {}): Promise<Prepared> {
  const p = applyAssistantPrompt(params, (id) => deps.repos.assistants.get(id));
  refuseUnserved(p);
  const history = options.history ?? (p.previous_response_id ? chainItems(p.previous_response_id, deps.repos) : []);
  const input = inputItems(p.input, history);
  // An item given back with an id the history has: unchanged, it is that item (shown once, where it was);
  // changed, it would be lost, so it is refused by name.
  const changed = changedItemIndex(input, history);
  if (changed !== -1) {
    throw badRequest(`Item with id '${input[changed]!.id}' is already in this conversation with other content: send it unchanged, or without its id to add it as a new item.`, `input[${changed}]`, "duplicate_item");
  }
  const known = new Set(history.map((item) => item.id));
  const shown = [...history, ...input.filter((item) => !known.has(item.id))];
  if (input.length === 0 && !(options.inputOptional && history.length > 0)) throw badRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter");
  const attachments = await loadAttachments(history, input, deps.attachments);
  const tools = p.tools ?? [];
  const fileSearch = tools.find((t): t is FileSearchToolParam => t.type === "file_search");
  const configured = tools.flatMap(assistantTool);
  const { offered, choice } = narrowTools(configured, p.tool_choice ?? "auto");
  const { messages, sources } = toChatMessages(shown, deps.tools, attachments);
  const instructions = p.instructions ?? null;
  const system: ChatMessage[] = instructions ? [{ role: "system", content: instructions }] : [];
  // Whether the model sees images is known once it is resolved (model-request.ts); both prompts are ready.
  const visionMessages = attachments.hasImages ? [...system, ...toChatMessages(shown, deps.tools, attachments, true).messages] : undefined;
  return {
    response: options.response ?? startingResponse(p, deps.clock()),
    include: p.include ?? [],
    configured,
    vectorStoreIds: fileSearch?.vector_store_ids ?? [],
    filters: fileSearch?.filters ?? undefined,
    // A dry run (counting input tokens) makes no container: nothing may be created by it.
    container: options.dryRun ? null : containerFor(tools, [...history, ...input], deps.containers),
    history,
    input,
    messages: [...system, ...messages],
    ...(visionMessages ? { visionMessages } : {}),
    sources,
    offered,
    choice,
    format: formatOf(p.text?.format),
  };
}

/** The response as it starts: the request's settings with the hosted API's defaults, no output yet. */
function startingResponse(p: ResolvedCreateParams, now: number): Response {
  return {
    id: newId("resp_"),
    object: "response",
    created_at: now,
    status: "in_progress",
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: p.instructions ?? null,
    max_output_tokens: p.max_output_tokens ?? null,
    max_tool_calls: p.max_tool_calls ?? null,
    model: p.model,
    output: [],
    parallel_tool_calls: p.parallel_tool_calls ?? true,
    previous_response_id: p.previous_response_id ?? null,
    conversation: null,
    reasoning: { effort: p.reasoning?.effort ?? null, summary: p.reasoning?.summary ?? p.reasoning?.generate_summary ?? null },
    store: p.store ?? true,
    background: p.background ?? false,
    temperature: p.temperature ?? 1,
    top_p: p.top_p ?? 1,
    presence_penalty: p.presence_penalty ?? 0,
    frequency_penalty: p.frequency_penalty ?? 0,
    usage: zeroUsage(),
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
    ...(p.prompt ? { prompt: { id: p.prompt.id, variables: p.prompt.variables ?? null, version: null } } : {}),
  };
}

/** A Responses tool as the Assistants-shaped entry the Toolbox and the built-in tools know. */
function assistantTool(t: ToolParam): AssistantTool[] {
  switch (t.type) {
    case "function":
      return [{ type: "function", function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: "object", properties: {} }, strict: t.strict ?? null } }];
    case "file_search": {
      const ranking = t.ranking_options?.score_threshold !== undefined ? { ranking_options: { ranker: "auto" as const, score_threshold: t.ranking_options.score_threshold } } : {};
      return [{ type: "file_search", file_search: { ...(t.max_num_results ? { max_num_results: t.max_num_results } : {}), ...ranking } }];
    }
    case "code_interpreter":
      return [{ type: "code_interpreter" }];
    default:
      return []; // refused before (refuseUnserved)
  }
}

/**
 * The container code_interpreter runs in: the one named by id (it must be running), or for `auto` the
 * container the latest code_interpreter call of the history used while it still runs (so variables and files
 * carry on across turns, as the hosted API reuses it), else a new one. `auto`'s file_ids are added to it.
 */
function containerFor(tools: readonly ToolParam[], history: readonly ResponseItem[], containers: ContainerService): Prepared["container"] {
  const index = tools.findIndex((t) => t.type === "code_interpreter");
  if (index === -1) return null;
  const param = `tools[${index}].container`;
  const spec = (tools[index] as CodeInterpreterToolParam).container;
  if (typeof spec === "string") {
    const used = containers.use(spec, param);
    return { id: used.id, fileIds: used.file_ids };
  }
  const earlier = history.findLast((item) => item.type === "code_interpreter_call");
  const reusable = earlier?.type === "code_interpreter_call" ? containers.get(earlier.container_id) : null;
  const container = reusable?.status === "running"
    ? containers.addFiles(reusable.id, spec.file_ids ?? [], `${param}.file_ids`)
    : containers.create({ name: "code_interpreter (auto)", file_ids: spec.file_ids, memory_limit: spec.memory_limit }, `${param}.file_ids`);
  return { id: container.id, fileIds: container.file_ids };
}

/** tool_choice in the Assistants shape the Toolbox applies, and the tools `allowed_tools` leaves. */
function narrowTools(tools: AssistantTool[], choice: ResponseToolChoice): { offered: AssistantTool[]; choice: ToolChoice } {
  if (typeof choice === "string") return { offered: tools, choice };
  if (choice.type === "function") {
    if (!tools.some((t) => t.type === "function" && t.function.name === choice.name)) {
      throw badRequest(`Tool choice '${choice.name}' not found in 'tools' parameter.`, "tool_choice");
    }
    return { offered: tools, choice: { type: "function", function: { name: choice.name } } };
  }
  if (choice.type === "allowed_tools") {
    const allowed = new Set(choice.tools.map((t) => (t.type === "function" && typeof t.name === "string" ? t.name : t.type)));
    return { offered: tools.filter((t) => allowed.has(t.type === "function" ? t.function.name : t.type)), choice: choice.mode };
  }
  const type = choice.type;
  if (!tools.some((t) => t.type === type)) throw badRequest(`Tool choice '${type}' not found in 'tools' parameter.`, "tool_choice");
  return { offered: tools, choice: { type } };
}

function formatOf(format: TextFormatParam | undefined): ChatRequest["format"] | undefined {
  if (!format || format.type === "text") return undefined;
  return format.type === "json_object" ? "json" : format.schema;
}

const SERVED_TOOLS = new Set(["function", "file_search", "code_interpreter"]);

/** What this version does not execute is a 400 naming the field, never a silent no-op. */
function refuseUnserved(p: ResponseCreateParams): void {
  if (p.background && p.store === false) throw badRequest("A background response must be stored: background requires store=true.", "background");
  const index = (p.tools ?? []).findIndex((t) => !SERVED_TOOLS.has(t.type));
  if (index !== -1) throw badRequest(`Tools of type '${p.tools![index]!.type}' are not supported in responses by this server yet.`, `tools[${index}].type`, "unsupported_value");
}
