import type { FileSearchResult, Run, RunStep, StepToolCall, Usage } from "../api/wire.js";
import type { Clock } from "../clock.js";
import type { ChatMessage, ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import { ModelError } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import { newId } from "../ids.js";
import type { Repos } from "../store/repos.js";
import { annotateFiles, cite, type NumberedSource } from "./citations.js";
import type { BuiltinTools } from "./builtin-tools.js";
import { loadImages } from "./images.js";
import { streamModelTurn } from "./model-turn.js";
import { buildPrompt, toolStepTurns, type PromptParts } from "./prompt.js";
import type { RunRecorder, ToolCallDelta } from "./recorder.js";
import { ServerShutdown } from "./state.js";
import { CODE_INTERPRETER_FUNCTION, FILE_SEARCH_FUNCTION, offeredTools, toolChoiceHint } from "./tools.js";

/** A run that keeps calling built-in tools without answering is stopped after this many model calls. */
const MAX_MODEL_CALLS = 12;
/** Context to plan for when neither the manifest nor /api/show says (Ollama's own default). */
const FALLBACK_CONTEXT = 4096;
/** Upper bound on num_ctx for models the manifest does not list: bigger windows cost Ollama memory. */
const UNLISTED_CONTEXT_CAP = 8192;

export interface ExecutorDeps {
  repos: Repos;
  recorder: RunRecorder;
  chat: ChatModel;
  models: ModelCatalog;
  builtins: BuiltinTools;
  clock: Clock;
  expirySeconds: number;
  /** An uploaded file's bytes (images for vision models); null when it is gone. Absent: images are only named. */
  readFile?: (fileId: string) => Promise<Uint8Array | null>;
}

type RequestPlan =
  | { ok: true; request: ChatRequest; sources: NumberedSource[]; files: { file_id: string; name: string }[] }
  | { ok: false; end: "max_prompt_tokens" | "max_completion_tokens" | "too_long"; tokens: number };

/** A failure of the run itself (not of the model), with the `last_error.code` it should carry. */
class RunFailure extends Error {
  constructor(
    readonly code: "server_error" | "invalid_prompt",
    message: string,
  ) {
    super(message);
  }
}

/** Executes one run: prompt → model → reply or tool calls, until it completes or needs the client. */
export class RunExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  async execute(runId: string, signal: AbortSignal): Promise<void> {
    const run = this.deps.repos.runs.get(runId);
    if (!run || run.status !== "queued") return;
    try {
      await this.loop(this.deps.recorder.setStatus(runId, "in_progress"), signal);
    } catch (err) {
      this.fail(runId, err, signal);
    }
  }

  private async loop(run: Run, signal: AbortSignal): Promise<void> {
    const { recorder } = this.deps;
    const usage: Usage = { ...(run.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }) };
    for (let call = 0; call < MAX_MODEL_CALLS; call++) {
      const plan = await this.plan(run, usage);
      if (!plan.ok) return this.endForPrompt(run, plan, usage);
      const annotate = plan.sources.length + plan.files.length > 0 ? (text: string) => annotateFiles(cite(text, plan.sources), plan.files) : undefined;
      const turn = await streamModelTurn(run, plan.request, { ...this.deps, annotate }, signal);
      addUsage(usage, turn.usage);
      if (turn.toolCalls.length === 0) {
        if (turn.step) recorder.finishStep(turn.step, "completed", { usage: turn.usage });
        if (turn.doneReason === "length") {
          recorder.endRun(run.id, "incomplete", { usage, incomplete_details: { reason: "max_completion_tokens" } });
        } else recorder.endRun(run.id, "completed", { usage });
        return;
      }
      if (turn.step) recorder.finishStep(turn.step, "completed", { usage: zeroUsage() });
      recorder.patchRun(run.id, { usage });
      if ((await this.runToolCalls(run, turn.toolCalls, turn.usage, usage, signal)) === "requires_action") return;
    }
    throw new Error(`the model kept calling tools without answering (${MAX_MODEL_CALLS} calls); stopping the run`);
  }

  /** Creates the tool_calls step, runs built-in tools inline, and stops for function outputs if any. */
  private async runToolCalls(run: Run, modelCalls: ModelToolCall[], callUsage: Usage, runUsage: Usage, signal: AbortSignal): Promise<"continue" | "requires_action"> {
    const { recorder } = this.deps;
    const calls = (run.parallel_tool_calls ? modelCalls : modelCalls.slice(0, 1)).map((c) => this.toStepCall(run, c));
    // Announced empty, then the calls as one delta: stream clients (the SDK) append every delta to the
    // snapshot from step.created, so calls already in that snapshot would come out doubled ("call_xcall_x").
    let step = recorder.startStep(run, { type: "tool_calls", tool_calls: [] });
    step = recorder.updateStepDetails(step, { type: "tool_calls", tool_calls: calls });
    recorder.stepDelta(step, calls.map((c, index) => ({ index, ...c })));
    for (const [index, call] of calls.entries()) {
      if (call.type === "function") continue;
      calls[index] = await this.runBuiltin(run, call, signal);
      // Cancelled meanwhile (the built-in may have stopped early because of it): the step ends cancelled.
      signal.throwIfAborted();
      step = recorder.updateStepDetails(step, { type: "tool_calls", tool_calls: calls });
      const outputs = outputsDelta(calls[index]!, index);
      if (outputs) recorder.stepDelta(step, [outputs]);
    }
    const functionCalls = calls.filter((c) => c.type === "function");
    if (functionCalls.length === 0) {
      recorder.finishStep(step, "completed", { usage: callUsage });
      return "continue";
    }
    // The step stays open until outputs arrive; its usage is already known, so keep it with the step.
    recorder.updateStepDetails(step, step.step_details, callUsage);
    recorder.endRun(run.id, "requires_action", {
      usage: runUsage,
      expires_at: this.deps.clock() + this.deps.expirySeconds,
      required_action: {
        type: "submit_tool_outputs",
        submit_tool_outputs: {
          tool_calls: functionCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.function.name, arguments: c.function.arguments } })),
        },
      },
    });
    return "requires_action";
  }

  private toStepCall(run: Run, call: ModelToolCall): StepToolCall {
    const id = newId("call_");
    const has = (type: string): boolean => run.tools.some((t) => t.type === type);
    if (call.name === FILE_SEARCH_FUNCTION && has("file_search")) {
      const tool = run.tools.find((t) => t.type === "file_search");
      const ranking = tool?.type === "file_search" ? tool.file_search?.ranking_options : undefined;
      const query = String(call.arguments.query ?? "");
      return { id, type: "file_search", file_search: { ...(ranking ? { ranking_options: ranking } : {}), results: [], query } };
    }
    if (call.name === CODE_INTERPRETER_FUNCTION && has("code_interpreter")) {
      return { id, type: "code_interpreter", code_interpreter: { input: String(call.arguments.code ?? ""), outputs: [] } };
    }
    return { id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments), output: null } };
  }

  private async runBuiltin(run: Run, call: StepToolCall, signal: AbortSignal): Promise<StepToolCall> {
    const { builtins } = this.deps;
    if (call.type === "file_search") {
      const query = call.file_search.query ?? "";
      const outcome = builtins.fileSearch ? await builtins.fileSearch(run, query, signal) : { results: [] };
      return { ...call, file_search: { ...call.file_search, results: outcome.results } };
    }
    if (call.type === "code_interpreter") {
      const outcome = builtins.codeInterpreter
        ? await builtins.codeInterpreter(run, call.code_interpreter.input, signal)
        : { outputs: [{ type: "logs" as const, logs: "code_interpreter is not available on this server." }] };
      return { ...call, code_interpreter: { ...call.code_interpreter, outputs: outcome.outputs } };
    }
    return call;
  }

  /** Everything the model request needs, sized so Ollama never truncates the prompt itself. */
  private async plan(run: Run, usage: Usage): Promise<RequestPlan> {
    const { repos, models, chat } = this.deps;
    const resolved = models.resolveChat(run.model);
    const details = await chat.details(resolved.tag);
    const trained = details.context_length ?? null;
    const numCtx = Math.min(resolved.contextLength ?? UNLISTED_CONTEXT_CAP, trained ?? resolved.contextLength ?? FALLBACK_CONTEXT);
    const completionLeft = run.max_completion_tokens === null ? null : run.max_completion_tokens - usage.completion_tokens;
    if (completionLeft !== null && completionLeft <= 0) return { ok: false, end: "max_completion_tokens", tokens: 0 };
    const reserve = completionLeft ?? Math.min(1024, Math.floor(numCtx / 4));
    const budget = Math.min(numCtx - reserve, run.max_prompt_tokens ?? Number.POSITIVE_INFINITY);

    const steps = repos.steps.all({ run_id: run.id });
    const choice = steps.some((s) => s.type === "tool_calls") && run.tool_choice !== "none" ? "auto" : run.tool_choice;
    const tools = offeredTools(run.tools, choice, {
      fileSearch: this.deps.builtins.fileSearchDescription,
      codeInterpreter: this.deps.builtins.codeInterpreterDescription,
    });
    const options = repos.runs.options(run.id);
    const hint = tools.length > 0 ? toolChoiceHint(choice) : null;
    const history = repos.messages.all({ thread_id: run.thread_id }).filter((m) => !(m.run_id === run.id && m.role === "assistant"));
    // A vision model (Ollama reports the capability) gets the images themselves; others get them named.
    const readFile = this.deps.readFile;
    const images = readFile && details.capabilities.includes("vision") ? await loadImages(history, readFile) : undefined;
    const parts: PromptParts = {
      instructions: run.instructions,
      history,
      ...(images ? { images } : {}),
      runTurns: this.runTurns(steps),
      additions: [options.additional_instructions, hint].filter((x): x is string => !!x),
      truncation: run.truncation_strategy,
    };
    const prompt = buildPrompt(parts, { promptTokens: budget });
    if (!prompt.ok) return { ok: false, end: run.max_prompt_tokens !== null && budget === run.max_prompt_tokens ? "max_prompt_tokens" : "too_long", tokens: prompt.estimatedTokens };
    return {
      ok: true,
      sources: numberedSources(steps),
      files: options.generated_files ?? [],
      request: {
        model: resolved.tag,
        messages: prompt.messages,
        ...(tools.length > 0 ? { tools } : {}),
        ...formatOf(run),
        options: {
          num_ctx: numCtx,
          ...(run.temperature !== null ? { temperature: run.temperature } : {}),
          ...(run.top_p !== null ? { top_p: run.top_p } : {}),
          ...(completionLeft !== null ? { num_predict: completionLeft } : {}),
        },
      },
    };
  }

  /** This run's replies and tool exchanges so far, in order, with file_search sources numbered across the run. */
  private runTurns(steps: RunStep[]): ChatMessage[] {
    const turns: ChatMessage[] = [];
    let nextSource = 1;
    for (const step of steps) {
      if (step.step_details.type === "tool_calls") {
        if (step.status === "completed") turns.push(...toolStepTurns(step, nextSource));
        nextSource += sourcesIn(step).length;
        continue;
      }
      const message = this.deps.repos.messages.get(step.step_details.message_creation.message_id);
      const text = message?.content.map((p) => (p.type === "text" ? p.text.value : "")).join("") ?? "";
      if (text !== "") turns.push({ role: "assistant", content: text });
    }
    return turns;
  }

  private endForPrompt(run: Run, plan: Extract<RequestPlan, { ok: false }>, usage: Usage): void {
    if (plan.end !== "too_long") {
      this.deps.recorder.endRun(run.id, "incomplete", { usage, incomplete_details: { reason: plan.end } });
      return;
    }
    throw new RunFailure(
      "invalid_prompt",
      `The conversation does not fit in the model's context window (about ${plan.tokens} tokens needed for the instructions and the latest message). Shorten the message or instructions, or use a model with a larger context.`,
    );
  }

  /**
   * Any failure ends the run, never the server: `cancelled` when a client cancelled it, `failed` otherwise
   * (a server shutdown included).
   */
  private fail(runId: string, err: unknown, signal: AbortSignal): void {
    const { recorder } = this.deps;
    try {
      const shutdown = signal.reason instanceof ServerShutdown;
      if (signal.aborted && !shutdown) {
        recorder.closeOpenSteps(runId, "cancelled");
        recorder.endRun(runId, "cancelled");
        return;
      }
      const last_error = lastErrorOf(shutdown ? signal.reason : err);
      recorder.closeOpenSteps(runId, "failed", { code: "server_error", message: last_error.message });
      recorder.endRun(runId, "failed", { last_error });
    } catch (secondary) {
      // The run is gone (e.g. its thread was deleted mid-run): nothing left to record.
      console.error(`run ${runId}: could not record its failure:`, secondary);
    }
  }
}

/** A run's `last_error` for a failure; unexpected ones are logged, since their message may not say enough. */
function lastErrorOf(err: unknown): NonNullable<Run["last_error"]> {
  if (err instanceof ModelError || err instanceof RunFailure) return { code: err.code, message: err.message };
  if (err instanceof ServerShutdown) return { code: "server_error", message: err.message };
  console.error("run failed:", err);
  return { code: "server_error", message: `The run failed: ${err instanceof Error ? err.message : String(err)}` };
}

/** Every file_search result of the run, numbered in the order the model was shown them. */
function numberedSources(steps: RunStep[]): NumberedSource[] {
  return steps.flatMap(sourcesIn).map((result, i) => ({ n: i + 1, result }));
}

function sourcesIn(step: RunStep): FileSearchResult[] {
  if (step.step_details.type !== "tool_calls") return [];
  return step.step_details.tool_calls.flatMap((c) => (c.type === "file_search" ? (c.file_search.results ?? []) : []));
}

function formatOf(run: Run): Pick<ChatRequest, "format"> {
  const format = run.response_format;
  if (typeof format !== "object" || format === null) return {};
  if (format.type === "json_object") return { format: "json" };
  if (format.type === "json_schema") return { format: format.json_schema.schema ?? "json" };
  return {};
}

/**
 * What a finished built-in call adds for stream clients: only code_interpreter outputs (each with its index,
 * as deltas of arrays must carry). file_search results arrive with step.completed, as the hosted API sent them.
 */
function outputsDelta(call: StepToolCall, index: number): ToolCallDelta | null {
  if (call.type !== "code_interpreter") return null;
  const outputs = call.code_interpreter.outputs.map((output, i) => ({ index: i, ...output }));
  return { index, type: "code_interpreter", code_interpreter: { outputs } };
}

function addUsage(total: Usage, add: Usage): void {
  total.prompt_tokens += add.prompt_tokens;
  total.completion_tokens += add.completion_tokens;
  total.total_tokens += add.total_tokens;
}

function zeroUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}
