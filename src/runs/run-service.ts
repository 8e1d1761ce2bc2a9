import type { RunCreateParams, SubmitToolOutputsParams, ThreadAndRunCreateParams } from "../api/runs.js";
import { INCLUDE_FILE_SEARCH_CONTENT } from "../api/runs.js";
import type { Assistant, Metadata, Run, ToolChoice } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { activeRunConflict, badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { normalizeResponseFormat, normalizeToolChoice, normalizeTools } from "../objects/normalize.js";
import type { ConversationHolds } from "../objects/conversation-holds.js";
import type { ThreadService } from "../objects/thread-service.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";
import type { RunOptions } from "../store/runs-repo.js";
import type { RunEngine } from "./engine.js";
import type { RunEvents } from "./events.js";
import type { Outbox } from "./outbox.js";
import type { RunRecorder } from "./recorder.js";
import { RunStream } from "./run-stream.js";
import { isTerminal } from "./state.js";
import type { FreshRun } from "./request-plan.js";
import { presentEvent } from "./step-view.js";

type RunSettings = Omit<RunCreateParams, "additional_instructions" | "additional_messages">;

/** Creating, resuming and cancelling runs: the request-side rules; execution is the engine's. */
export class RunService {
  constructor(
    private readonly deps: {
      outbox: Outbox;
      events: RunEvents;
      repos: Pick<Repos, "assistants" | "threads" | "runs" | "steps">;
      threads: ThreadService;
      recorder: RunRecorder;
      engine: RunEngine;
      clock: Clock;
      expirySeconds: number;
      /** A thread a response holds (read as a conversation) refuses a run, as a run refuses the response. */
      holds: Pick<ConversationHolds, "refuseIfHeld">;
    },
  ) {}

  /** Creates and queues a run. */
  create(threadId: string, p: RunCreateParams, include: string[]): Run {
    return this.start(threadId, p, include, null);
  }

  /** Creates and queues a run, returning its stream from `thread.run.created` on. */
  createStream(threadId: string, p: RunCreateParams, include: string[]): RunStream {
    const stream = this.openStream(include);
    this.start(threadId, p, include, stream);
    return stream;
  }

  /** Creates a thread (from `thread`) and a run on it. */
  createThreadAndRun(p: ThreadAndRunCreateParams): Run {
    const { threadId, settings } = this.threadForRun(p);
    return this.start(threadId, settings, [], null);
  }

  /** The same, streamed: `thread.created` first, then the run's events. */
  createThreadAndRunStream(p: ThreadAndRunCreateParams): RunStream {
    const stream = this.openStream([]);
    const { threadId, settings } = this.threadForRun(p, stream);
    this.start(threadId, settings, [], stream);
    return stream;
  }

  private start(threadId: string, p: RunCreateParams, include: string[], stream: RunStream | null): Run {
    const { repos, recorder } = this.deps;
    if (!repos.threads.get(threadId)) throw notFound("thread", threadId);
    const assistant = this.assistant(p.assistant_id);
    const active = repos.runs.activeForThread(threadId);
    if (active) throw activeRunConflict(threadId, active.id);
    this.deps.holds.refuseIfHeld(threadId);
    const run = this.buildRun(threadId, assistant, p);
    let started: Run | null = null;
    const reasoning_effort = p.reasoning_effort ?? assistant.reasoning_effort ?? null;
    const options: RunOptions = { additional_instructions: p.additional_instructions ?? null, reasoning_effort, include };
    const taken = this.admitted(run.id, stream !== null, (taking) => this.commitFirstRun(threadId, run.id, stream, () => {
      for (const [i, m] of (p.additional_messages ?? []).entries()) {
        this.deps.threads.insertMessage(threadId, m, `additional_messages[${i}].attachments`);
      }
      repos.runs.createOptions(run.id, options);
      const startsNow = taking && this.deps.engine.startsAtOnce;
      const stored = recorder.announceRun(run, startsNow);
      if (startsNow) started = stored;
    }));
    // Just created: the executor needs not read back the options it was given, nor look for steps it has none of.
    this.launch(run.id, taken, started, { options });
    return run;
  }

  private threadForRun(p: ThreadAndRunCreateParams, stream?: RunStream): { threadId: string; settings: RunCreateParams } {
    // Refuse a bad request before creating a thread nobody asked to keep.
    const assistant = this.assistant(p.assistant_id);
    const { thread: threadInput, tool_resources, ...settings } = p;
    checkToolChoice(normalizeToolChoice(settings.tool_choice), settings.tools ? normalizeTools(settings.tools) : assistant.tools);
    const thread = this.deps.threads.create({
      messages: threadInput?.messages,
      metadata: threadInput?.metadata,
      tool_resources: tool_resources ?? threadInput?.tool_resources,
    });
    stream?.push({ event: "thread.created", data: thread });
    return { threadId: thread.id, settings };
  }

  /**
   * Writes in one transaction whose events go out on commit, with `stream` (if any) following the run first so
   * it sees every one of them; a write that fails ends the stream.
   */
  private commit(runId: string, stream: RunStream | null, write: () => void): void {
    stream?.follow(runId);
    try {
      this.deps.outbox.transaction(write);
    } catch (err) {
      stream?.close();
      throw err;
    }
  }

  /**
   * Inside the commit that makes `queued` runnable again (tool outputs in): with a free slot (and this node taking
   * it) it goes on at once, in_progress in the same commit (queued first, as streamed); that run is for `launch`,
   * else null. A new run does the same in its insert (RunRecorder.announceRun).
   */
  private startInCommit(taking: boolean, queued: Run): Run | null {
    return taking && this.deps.engine.startsAtOnce ? this.deps.recorder.setStatus(queued.id, "in_progress", {}, queued) : null;
  }

  /** After that commit: a run it started executes now; one it only queued waits its turn (if this node took it). */
  private launch(runId: string, taken: boolean, started: Run | null, fresh?: FreshRun): void {
    if (started) this.deps.engine.startNow(started, fresh);
    else if (taken) this.deps.engine.enqueue(runId);
  }

  /**
   * Makes the run runnable with `write`, holding its lease (RunEngine.admit) when this node executes it (given
   * back if the write fails); false: it is left queued for a worker node (ROLE=api, not streamed).
   */
  private admitted(runId: string, streamed: boolean, write: (taken: boolean) => void): boolean {
    const taken = this.deps.engine.admit(runId, streamed);
    try {
      write(taken);
    } catch (err) {
      if (taken) this.deps.engine.unadmit(runId);
      throw err;
    }
    return taken;
  }

  /**
   * `commit` for a new run. The thread was free when checked; on PostgreSQL another node may have started a run
   * on it since, which the store refuses (a unique index over active runs): the same 400 as the check's.
   */
  private commitFirstRun(threadId: string, runId: string, stream: RunStream | null, write: () => void): void {
    try {
      this.commit(runId, stream, write);
    } catch (err) {
      const { code, constraint } = err as { code?: unknown; constraint?: unknown };
      if (code !== "23505" || constraint !== "one_active_run_per_thread") throw err;
      throw activeRunConflict(threadId, this.deps.repos.runs.activeForThread(threadId)?.id ?? "another run");
    }
  }

  /** A stream presenting steps as this client asked (file_search result content only with include[]). */
  private openStream(include: string[]): RunStream {
    return new RunStream(this.deps.events, presentEvent(include.includes(INCLUDE_FILE_SEARCH_CONTENT)));
  }

  /** Resumes a run waiting at requires_action once every requested call has exactly one output. */
  submitToolOutputs(threadId: string, runId: string, p: SubmitToolOutputsParams): Run {
    return this.resume(threadId, runId, p, null);
  }

  /** The same, streamed: the resumed run's events until it ends or needs the client again. */
  submitToolOutputsStream(threadId: string, runId: string, p: SubmitToolOutputsParams): RunStream {
    const stream = this.openStream(this.deps.repos.runs.options(runId).include);
    this.resume(threadId, runId, p, stream);
    return stream;
  }

  /** Run metadata is the one field a client may change on a run; no event (the hosted API sent none). */
  updateMetadata(threadId: string, runId: string, metadata: Metadata | null | undefined): Run {
    const run = this.find(threadId, runId);
    return metadata === undefined || metadata === null ? run : this.deps.recorder.patchRun(run.id, { metadata });
  }

  private resume(threadId: string, runId: string, p: SubmitToolOutputsParams, stream: RunStream | null): Run {
    const { repos, recorder } = this.deps;
    const run = this.find(threadId, runId);
    if (run.status !== "requires_action" || !run.required_action) {
      throw badRequest(`Runs in status "${run.status}" do not accept tool outputs.`);
    }
    const outputs = new Map<string, string>();
    for (const [i, o] of p.tool_outputs.entries()) {
      if (outputs.has(o.tool_call_id)) throw badRequest(`Duplicate output for tool call '${o.tool_call_id}'.`, `tool_outputs[${i}].tool_call_id`);
      outputs.set(o.tool_call_id, o.output);
    }
    const expected = run.required_action.submit_tool_outputs.tool_calls.map((c) => c.id);
    const unknown = p.tool_outputs.findIndex((o) => !expected.includes(o.tool_call_id));
    if (unknown !== -1) {
      throw badRequest(`No tool call found with id '${p.tool_outputs[unknown]!.tool_call_id}' in this run's required action.`, `tool_outputs[${unknown}].tool_call_id`);
    }
    const missing = expected.filter((id) => !outputs.has(id));
    if (missing.length > 0) throw badRequest(`Expected tool outputs for call ids: ${missing.join(", ")}.`, "tool_outputs");

    let queued: Run | null = null;
    let started: Run | null = null;
    const taken = this.admitted(run.id, stream !== null, (taking) => this.commit(run.id, stream, () => {
      for (const step of repos.steps.all({ run_id: run.id })) {
        if (step.status !== "in_progress" || step.step_details.type !== "tool_calls") continue;
        const calls = step.step_details.tool_calls.map((c) =>
          c.type === "function" && outputs.has(c.id) ? { ...c, function: { ...c.function, output: outputs.get(c.id)! } } : c,
        );
        recorder.finishStep(recorder.updateStepDetails(step, { type: "tool_calls", tool_calls: calls }), "completed");
      }
      queued = recorder.setStatus(run.id, "queued", { expires_at: this.deps.clock() + this.deps.expirySeconds }, run);
      started = this.startInCommit(taking, queued);
    }));
    this.launch(run.id, taken, started);
    return queued!; // the answer is the run as it was queued, as the hosted API answered
  }

  cancel(threadId: string, runId: string): Run {
    const run = this.find(threadId, runId);
    if (isTerminal(run.status) || run.status === "cancelling") {
      throw badRequest(`Cannot cancel run with status '${run.status}'.`);
    }
    return this.deps.engine.cancel(run);
  }

  /** A page of a thread's runs (404 for an unknown thread; null when the cursor names no run of it). */
  page(threadId: string, q: PageQuery): Page<Run> | null {
    if (!this.deps.repos.threads.get(threadId)) throw notFound("thread", threadId);
    return this.deps.repos.runs.page({ thread_id: threadId }, q);
  }

  /** The run as its stored JSON text (the hot read: a poll sends it as it is). */
  body(threadId: string, runId: string): string {
    this.deps.threads.mustExist(threadId);
    const body = this.deps.repos.runs.bodyInThread(threadId, runId);
    if (body === null) throw notFound("run", runId);
    return body;
  }

  find(threadId: string, runId: string): Run {
    if (!this.deps.repos.threads.get(threadId)) throw notFound("thread", threadId);
    const run = this.deps.repos.runs.getInThread(threadId, runId);
    if (!run) throw notFound("run", runId);
    return run;
  }

  private assistant(id: string): Assistant {
    const assistant = this.deps.repos.assistants.get(id);
    if (!assistant) throw notFound("assistant", id);
    return assistant;
  }

  private buildRun(threadId: string, assistant: Assistant, p: RunSettings): Run {
    const now = this.deps.clock();
    const tools = p.tools ? normalizeTools(p.tools) : assistant.tools;
    const toolChoice = normalizeToolChoice(p.tool_choice);
    checkToolChoice(toolChoice, tools);
    return {
      id: newId("run_"),
      object: "thread.run",
      created_at: now,
      thread_id: threadId,
      assistant_id: assistant.id,
      status: "queued",
      required_action: null,
      last_error: null,
      expires_at: now + this.deps.expirySeconds,
      started_at: null,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      incomplete_details: null,
      model: p.model ?? assistant.model,
      instructions: p.instructions ?? assistant.instructions ?? "",
      tools,
      metadata: p.metadata ?? {},
      usage: null,
      temperature: p.temperature ?? assistant.temperature,
      top_p: p.top_p ?? assistant.top_p,
      max_prompt_tokens: p.max_prompt_tokens ?? null,
      max_completion_tokens: p.max_completion_tokens ?? null,
      truncation_strategy: { type: p.truncation_strategy?.type ?? "auto", last_messages: p.truncation_strategy?.last_messages ?? null },
      tool_choice: toolChoice,
      parallel_tool_calls: p.parallel_tool_calls ?? true,
      response_format: p.response_format !== undefined && p.response_format !== null ? normalizeResponseFormat(p.response_format) : (assistant.response_format ?? "auto"),
    };
  }
}

/** A named tool_choice must name a tool the run has. */
function checkToolChoice(choice: ToolChoice, tools: Run["tools"]): void {
  if (typeof choice !== "object") return;
  const ok = choice.type === "function"
    ? tools.some((t) => t.type === "function" && t.function.name === choice.function.name)
    : tools.some((t) => t.type === choice.type);
  if (!ok) throw badRequest(`tool_choice names a tool the run does not have.`, "tool_choice");
}
