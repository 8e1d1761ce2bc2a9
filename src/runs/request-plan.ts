import type { FileSearchResult, Message, Run, RunStep, Usage } from "../api/wire.js";
import { ModelError, type ChatMessage, type ChatModel, type ChatRequest, type Think, type TokenCount } from "../llm/chat-model.js";
import { isEmbeddingOnly } from "../llm/capability-fallback.js";
import { thinkFor } from "../llm/thinking.js";
import { tokenCounter } from "../llm/token-count.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { Repos } from "../store/repos.js";
import type { RunOptions } from "../store/runs-repo.js";
import type { Toolbox } from "../tools/toolbox.js";
import type { NumberedSource } from "./citations.js";
import { loadImages } from "./images.js";
import { buildPrompt, toolStepTurns, type PromptParts } from "./prompt.js";

/** Context to plan for when neither the manifest nor /api/show says (Ollama's own default). */
const FALLBACK_CONTEXT = 4096;
/** Upper bound on num_ctx for models the manifest does not list: bigger windows cost Ollama memory. */
const UNLISTED_CONTEXT_CAP = 8192;

export interface PlanDeps {
  repos: Pick<Repos, "messages" | "steps" | "runs">;
  chat: ChatModel;
  models: ModelCatalog;
  tools: Toolbox;
  /** An uploaded file's bytes (images for vision models); null when it is gone. Absent: images are only named. */
  readFile?: ((fileId: string) => Promise<Uint8Array | null>) | undefined;
}

/**
 * What stays the same across one execution's model calls, read once: the model and its context size, and the
 * thread's history (no message can be added or deleted while the run is active; only this run's own replies
 * appear, and those come from its steps).
 */
export interface RunContext {
  tag: string;
  numCtx: number;
  history: Message[];
  images?: ReadonlyMap<string, string>;
  /** Ollama's `think` for the run's reasoning effort on this model (llm/thinking.ts); undefined: none sent. */
  think?: Think;
  /** The run's additional_instructions (fixed at its creation), null: none. */
  additionalInstructions: string | null;
  /** How the model's prompts are counted (llm/token-count.ts tokenCounter). */
  count: TokenCount;
}

export type RequestPlan =
  | { ok: true; request: ChatRequest; sources: NumberedSource[]; files: { file_id: string; name: string }[] }
  | { ok: false; end: "max_prompt_tokens" | "max_completion_tokens" | "too_long"; tokens: number };

/** What a run's creation just wrote, handed to its first execution so that it is not read back. */
export interface FreshRun {
  options: RunOptions;
}

/** `options`: the run's, when the caller has them (a run created just now); else read from the store. */
export async function loadRunContext(run: Run, deps: PlanDeps, options: RunOptions = deps.repos.runs.options(run.id)): Promise<RunContext> {
  const { tag, numCtx, details } = await resolveModel(run.model, deps);
  const history = deps.repos.messages.all({ thread_id: run.thread_id }).filter((m) => !(m.run_id === run.id && m.role === "assistant"));
  // A vision model (Ollama reports the capability) gets the images themselves; others get them named.
  const readFile = deps.readFile;
  const images = readFile && details.capabilities.includes("vision") ? await loadImages(history, readFile) : undefined;
  const think = thinkFor(options.reasoning_effort, details);
  const additionalInstructions = options.additional_instructions;
  return { tag, numCtx, history, count: tokenCounter(details), additionalInstructions, ...(images ? { images } : {}), ...(think !== undefined ? { think } : {}) };
}

/**
 * A public model name as Ollama serves it: its tag, the context window to allocate (the manifest's size, capped
 * by what the model was trained for per /api/show), and its details. Runs and responses size prompts by it.
 * A model that only embeds fails here, with a message saying so, before any chat call.
 */
export async function resolveModel(
  name: string,
  deps: Pick<PlanDeps, "models" | "chat">,
): Promise<{ tag: string; numCtx: number; details: Awaited<ReturnType<ChatModel["details"]>> }> {
  const resolved = deps.models.resolveChat(name);
  const details = await deps.chat.details(resolved.tag);
  if (isEmbeddingOnly(details)) {
    throw new ModelError("not_a_chat_model", `'${name}' is an embedding model and cannot chat: use it with /v1/embeddings or as EMBEDDING_MODEL, and pick a chat model from GET /v1/models`);
  }
  const trained = details.context_length ?? null;
  const numCtx = details.fixed_context && trained !== null
    ? trained
    : Math.min(resolved.contextLength ?? UNLISTED_CONTEXT_CAP, trained ?? resolved.contextLength ?? FALLBACK_CONTEXT);
  return { tag: resolved.tag, numCtx, details };
}

/**
 * The next model request of a run, sized so Ollama never truncates the prompt itself. `steps`: the run's steps,
 * when the caller knows them (none, for a run created just now); else read from the store.
 */
export function planRequest(run: Run, usage: Usage, context: RunContext, deps: PlanDeps, steps: RunStep[] = deps.repos.steps.all({ run_id: run.id })): RequestPlan {
  const { repos, tools } = deps;
  const { numCtx } = context;
  const completionLeft = run.max_completion_tokens === null ? null : run.max_completion_tokens - usage.completion_tokens;
  if (completionLeft !== null && completionLeft <= 0) return { ok: false, end: "max_completion_tokens", tokens: 0 };
  const reserve = completionLeft ?? Math.min(1024, Math.floor(numCtx / 4));
  const budget = Math.min(numCtx - reserve, run.max_prompt_tokens ?? Number.POSITIVE_INFINITY);

  // tool_choice "required"/named applies to the run's first model call only; later calls are "auto".
  const choice = steps.some((s) => s.type === "tool_calls") && run.tool_choice !== "none" ? "auto" : run.tool_choice;
  const offered = tools.offered(run.tools, choice);
  const hint = offered.length > 0 ? tools.hint(choice) : null;
  const parts: PromptParts = {
    instructions: run.instructions,
    history: context.history,
    ...(context.images ? { images: context.images } : {}),
    runTurns: runTurns(steps, deps),
    additions: [context.additionalInstructions, hint].filter((x): x is string => !!x),
    truncation: run.truncation_strategy,
  };
  const prompt = buildPrompt(parts, { promptTokens: budget, count: context.count });
  if (!prompt.ok) return { ok: false, end: run.max_prompt_tokens !== null && budget === run.max_prompt_tokens ? "max_prompt_tokens" : "too_long", tokens: prompt.estimatedTokens };
  return {
    ok: true,
    sources: numberedSources(steps, tools),
    // Recorded on the run by its code_interpreter calls (tool-scope.ts): a run with no steps yet has none.
    files: steps.length === 0 ? [] : (repos.runs.options(run.id).generated_files ?? []),
    request: {
      model: context.tag,
      messages: prompt.messages,
      ...(offered.length > 0 ? { tools: offered, ...(tools.mustCall(choice) ? { require_tool_call: true } : {}) } : {}),
      ...formatOf(run),
      ...(context.think !== undefined ? { think: context.think } : {}),
      options: {
        num_ctx: numCtx,
        ...(run.temperature !== null ? { temperature: run.temperature } : {}),
        ...(run.top_p !== null ? { top_p: run.top_p } : {}),
        ...(completionLeft !== null ? { num_predict: completionLeft } : {}),
      },
    },
  };
}

/** This run's replies and tool exchanges so far, in order, with passages numbered across the run. */
function runTurns(steps: RunStep[], deps: PlanDeps): ChatMessage[] {
  const turns: ChatMessage[] = [];
  let nextSource = 1;
  for (const step of steps) {
    if (step.step_details.type === "tool_calls") {
      if (step.status === "completed") turns.push(...toolStepTurns(step, deps.tools, nextSource));
      nextSource += sourcesIn(step, deps.tools).length;
      continue;
    }
    const message = deps.repos.messages.get(step.step_details.message_creation.message_id);
    const text = message?.content.map((p) => (p.type === "text" ? p.text.value : "")).join("") ?? "";
    if (text !== "") turns.push({ role: "assistant", content: text });
  }
  return turns;
}

/** Every passage the run showed the model, numbered in the order it was shown them. */
function numberedSources(steps: RunStep[], tools: Toolbox): NumberedSource[] {
  return steps.flatMap((step) => sourcesIn(step, tools)).map((result, i) => ({ n: i + 1, result }));
}

function sourcesIn(step: RunStep, tools: Toolbox): FileSearchResult[] {
  if (step.step_details.type !== "tool_calls") return [];
  return step.step_details.tool_calls.flatMap((c) => tools.sources(c));
}

function formatOf(run: Run): Pick<ChatRequest, "format"> {
  const format = run.response_format;
  if (typeof format !== "object" || format === null) return {};
  if (format.type === "json_object") return { format: "json" };
  if (format.type === "json_schema") return { format: format.json_schema.schema ?? "json" };
  return {};
}
