import type { Run, Usage } from "../api/wire.js";
import type { Clock } from "../clock.js";
import type { ChatModel, ModelToolCall } from "../llm/chat-model.js";
import { ModelError } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { Repos } from "../store/repos.js";
import type { Toolbox } from "../tools/toolbox.js";
import type { ToolScope } from "../tools/builtin-tool.js";
import { annotateFiles, cite } from "./citations.js";
import { streamModelTurn } from "./model-turn.js";
import type { RunRecorder } from "./recorder.js";
import { loadRunContext, planRequest, type FreshRun, type RequestPlan } from "./request-plan.js";
import { ServerShutdown } from "./state.js";
import { runToolScope } from "./tool-scope.js";
import { log } from "../log.js";

/** A run that keeps calling built-in tools without answering is stopped after this many model calls. */
const MAX_MODEL_CALLS = 12;

export interface ExecutorDeps {
  repos: Pick<Repos, "messages" | "steps" | "runs" | "assistants" | "threads">;
  recorder: RunRecorder;
  chat: ChatModel;
  models: ModelCatalog;
  tools: Toolbox;
  clock: Clock;
  expirySeconds: number;
  /** An uploaded file's bytes (images for vision models); null when it is gone. Absent: images are only named. */
  readFile?: (fileId: string) => Promise<Uint8Array | null>;
}

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
    await this.guarded(runId, signal, () => this.deps.recorder.setStatus(runId, "in_progress", {}, run));
  }

  /**
   * Executes a run already stored in_progress (by its creation, in the same commit: RunEngine.startsAtOnce).
   * `fresh`: what its creation just wrote, when it was created now (not resumed by tool outputs).
   */
  async executeStarted(run: Run, signal: AbortSignal, fresh?: FreshRun): Promise<void> {
    await this.guarded(run.id, signal, () => run, fresh);
  }

  private async guarded(runId: string, signal: AbortSignal, start: () => Run, fresh?: FreshRun): Promise<void> {
    try {
      await this.loop(start(), signal, fresh);
    } catch (err) {
      this.fail(runId, err, signal);
    }
  }

  private async loop(run: Run, signal: AbortSignal, fresh?: FreshRun): Promise<void> {
    const { recorder } = this.deps;
    const usage: Usage = { ...(run.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }) };
    const context = await loadRunContext(run, this.deps, fresh?.options);
    let scope: ToolScope | undefined; // what built-in calls work on, resolved at the first one
    for (let call = 0; call < MAX_MODEL_CALLS; call++) {
      // A run created just now has no steps before its first model call.
      const plan = planRequest(run, usage, context, this.deps, fresh && call === 0 ? [] : undefined);
      if (!plan.ok) return this.endForPrompt(run, plan, usage);
      const annotate = plan.sources.length + plan.files.length > 0 ? (text: string) => annotateFiles(cite(text, plan.sources), plan.files) : undefined;
      const turn = await streamModelTurn(run, plan.request, { ...this.deps, annotate }, signal);
      addUsage(usage, turn.usage);
      if (turn.toolCalls.length === 0) {
        // The message, its step and the run end in one commit.
        recorder.atomically(() => {
          turn.finishReply(turn.usage);
          if (turn.doneReason === "length") {
            recorder.endRun(run.id, "incomplete", { usage, incomplete_details: { reason: "max_completion_tokens" } });
          } else recorder.endRun(run.id, "completed", { usage });
        });
        return;
      }
      recorder.atomically(() => {
        turn.finishReply(zeroUsage());
        recorder.patchRun(run.id, { usage });
      });
      scope ??= runToolScope(run, context.history, this.deps.repos);
      if ((await this.runToolCalls(run, turn.toolCalls, scope, turn.usage, usage, signal)) === "requires_action") return;
    }
    throw new Error(`the model kept calling tools without answering (${MAX_MODEL_CALLS} calls); stopping the run`);
  }

  /** Creates the tool_calls step, runs built-in tools inline, and stops for function outputs if any. */
  private async runToolCalls(run: Run, modelCalls: ModelToolCall[], scope: ToolScope, callUsage: Usage, runUsage: Usage, signal: AbortSignal): Promise<"continue" | "requires_action"> {
    const { recorder, tools } = this.deps;
    const calls = (run.parallel_tool_calls ? modelCalls : modelCalls.slice(0, 1)).map((c) => tools.stepCall(run.tools, c));
    // Announced empty, then each call in deltas: stream clients (the SDK) append every delta to the snapshot
    // from step.created, so calls already in that snapshot would come out doubled ("call_xcall_x"). Each call
    // opens in one delta and gets what the model wrote in the next, as the hosted API streamed it.
    let step = recorder.startStep(run, { type: "tool_calls", tool_calls: [] });
    step = recorder.updateStepDetails(step, { type: "tool_calls", tool_calls: calls });
    for (const [index, call] of calls.entries()) for (const delta of tools.inputDeltas(call, index)) recorder.stepDelta(step, [delta]);
    for (const [index, call] of calls.entries()) {
      if (call.type === "function") continue;
      calls[index] = await tools.run(call, { scope, signal });
      // Cancelled meanwhile (the built-in may have stopped early because of it): the step ends cancelled.
      signal.throwIfAborted();
      step = recorder.updateStepDetails(step, { type: "tool_calls", tool_calls: calls });
      const outputs = tools.outputDelta(calls[index]!, index);
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
      const last_error = lastErrorOf(shutdown ? signal.reason : err, runId);
      recorder.closeOpenSteps(runId, "failed", { code: "server_error", message: last_error.message });
      recorder.endRun(runId, "failed", { last_error });
    } catch (secondary) {
      // The run is gone (e.g. its thread was deleted mid-run): nothing left to record.
      log.error({ err: secondary, run_id: runId }, "could not record the run's failure");
    }
  }
}

/** A run's `last_error` for a failure; unexpected ones are logged, since their message may not say enough. */
function lastErrorOf(err: unknown, runId: string): NonNullable<Run["last_error"]> {
  if (err instanceof ModelError || err instanceof RunFailure) return { code: err.code, message: err.message };
  if (err instanceof ServerShutdown) return { code: "server_error", message: err.message };
  log.error({ err, run_id: runId }, "run failed");
  return { code: "server_error", message: `The run failed: ${err instanceof Error ? err.message : String(err)}` };
}

function addUsage(total: Usage, add: Usage): void {
  total.prompt_tokens += add.prompt_tokens;
  total.completion_tokens += add.completion_tokens;
  total.total_tokens += add.total_tokens;
}

function zeroUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}
