import type { Annotation, Message, Run, RunStatus, RunStep, Usage } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { MessagesRepo } from "../store/messages-repo.js";
import type { RunsRepo } from "../store/runs-repo.js";
import type { StepsRepo } from "../store/steps-repo.js";
import type { ToolCallDelta } from "../tools/builtin-tool.js";
import type { Outbox } from "./outbox.js";
import { canTransition, IllegalTransitionError, isTerminal } from "./state.js";
import type { MetricsSink } from "../metrics.js";

export type IncompleteReason = NonNullable<Message["incomplete_details"]>["reason"];
type RunPatch = Partial<Omit<Run, "id" | "object" | "status">>;
type StepEnd = "completed" | "failed" | "cancelled" | "expired";
/**
 * Every change a run makes goes through here: it is stored first, then emitted (after its transaction
 * commits: see Outbox), so an event's payload is exactly what a polling client reads back.
 */
export class RunRecorder {
  constructor(
    private readonly runs: RunsRepo,
    private readonly steps: StepsRepo,
    private readonly messages: MessagesRepo,
    private readonly events: Outbox,
    private readonly clock: Clock,
    private readonly metrics?: Pick<MetricsSink, "runsEnded">,
  ) {}

  /**
   * Stores a new run and announces it (created, then its first status). `startNow`: it also starts, stored
   * in_progress by the same insert (one statement fewer than an insert and an update), announced queued first,
   * then in_progress, as a run that waited for no slot was streamed; returns the run as stored.
   */
  announceRun(run: Run, startNow = false): Run {
    const stored = startNow ? this.withStatus(run, "in_progress", {}) : run;
    this.runs.insert(stored);
    this.events.emit(run.id, "thread.run.created", run);
    this.events.emit(run.id, `thread.run.${run.status}`, run);
    if (stored !== run) this.events.emit(run.id, "thread.run.in_progress", stored);
    return stored;
  }

  /**
   * Moves a run to `status` if that transition is legal from its *stored* status (a cancel may have landed
   * while the executor was awaiting the model); returns the stored run. `read`: the run as the caller just read
   * it, tried first instead of reading it again (a stale one only costs a retry).
   */
  setStatus(runId: string, status: RunStatus, patch: RunPatch = {}, read?: Run): Run {
    // Written only over the status it was read with: on a shared store another node (a cancel) may write in
    // between, and its status must not be lost; the transition is then checked against what it wrote.
    for (let attempt = 1; ; attempt++) {
      const run = attempt === 1 && read !== undefined ? read : this.current(runId);
      if (!canTransition(run.status, status)) throw new IllegalTransitionError(run.id, run.status, status);
      const next = this.withStatus(run, status, patch);
      if (!this.runs.updateIf(next, "status", run.status)) {
        if (attempt < 5) continue;
        throw new Error(`run ${runId}: its status kept changing under this write`);
      }
      this.events.emit(run.id, `thread.run.${status}`, next);
      if (isTerminal(status) || status === "requires_action") this.metrics?.runsEnded.inc({ status });
      return next;
    }
  }

  private withStatus(run: Run, status: RunStatus, patch: RunPatch): Run {
    const now = this.clock();
    const next: Run = { ...run, ...patch, status };
    if (status === "in_progress" && run.started_at === null) next.started_at = now;
    if (status === "completed") next.completed_at = now;
    if (status === "failed") next.failed_at = now;
    if (status === "cancelled") next.cancelled_at = now;
    if (isTerminal(status)) next.expires_at = null;
    if (status !== "requires_action") next.required_action = null;
    return next;
  }

  /**
   * Ends a run the executor was working on. A cancel that arrived meanwhile wins (the run ends `cancelled`);
   * a run already terminal is left as it is.
   */
  endRun(runId: string, status: "completed" | "failed" | "incomplete" | "requires_action" | "cancelled", patch: RunPatch = {}): Run {
    const run = this.current(runId);
    if (isTerminal(run.status)) return run;
    if (run.status === "cancelling" || status === "cancelled") {
      if (run.status !== "cancelling") this.setStatus(runId, "cancelling", {}, run);
      return this.setStatus(runId, "cancelled", { usage: patch.usage ?? run.usage });
    }
    return this.setStatus(runId, status, patch, run);
  }

  /** Stores a change that is not a status change (usage, metadata): no event. */
  patchRun(runId: string, patch: RunPatch): Run {
    // Over the status it was read with too, so a status another node wrote meanwhile is kept.
    for (let attempt = 1; ; attempt++) {
      const run = this.current(runId);
      const next = { ...run, ...patch };
      if (this.runs.updateIf(next, "status", run.status)) return next;
      if (attempt >= 5) throw new Error(`run ${runId}: its status kept changing under this write`);
    }
  }

  current(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} vanished (its thread was deleted)`);
    return run;
  }

  /** The run's messages still marked in_progress (only after a crash can one be left so). */
  openMessages(runId: string): Message[] {
    return this.messages.all({ run_id: runId }).filter((m) => m.status === "in_progress");
  }

  startStep(run: Run, details: RunStep["step_details"]): RunStep {
    const step = this.newStep(run, details);
    this.steps.insert(step);
    this.announceOpened(step);
    return step;
  }

  private newStep(run: Run, details: RunStep["step_details"]): RunStep {
    return {
      id: newId("step_"),
      object: "thread.run.step",
      created_at: this.clock(),
      assistant_id: run.assistant_id,
      thread_id: run.thread_id,
      run_id: run.id,
      type: details.type,
      status: "in_progress",
      step_details: details,
      last_error: null,
      expired_at: null,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      metadata: {},
      usage: null,
    };
  }

  /** Streams tool-call progress (arguments, code, outputs) to listeners; the step itself is stored on finish. */
  stepDelta(step: RunStep, toolCalls: ToolCallDelta[]): void {
    this.events.emit(step.run_id, "thread.run.step.delta", {
      id: step.id,
      object: "thread.run.step.delta",
      delta: { step_details: { type: "tool_calls", tool_calls: toolCalls } },
    });
  }

  /** Stores new tool call details (e.g. outputs filled in) without ending the step. */
  updateStepDetails(step: RunStep, details: RunStep["step_details"], usage: Usage | null = step.usage): RunStep {
    return this.steps.update({ ...step, step_details: details, usage });
  }

  /** Ends every step of the run still in progress (the run was cancelled, failed or expired). */
  closeOpenSteps(runId: string, status: "failed" | "cancelled" | "expired", last_error: RunStep["last_error"] = null): void {
    for (const step of this.steps.all({ run_id: runId })) {
      if (step.status === "in_progress") this.finishStep(step, status, { last_error });
    }
  }

  finishStep(step: RunStep, status: StepEnd, extra: { usage?: Usage | null; last_error?: RunStep["last_error"] } = {}): RunStep {
    return this.endStep(step, status, extra, true);
  }

  /** `stored` false: the step was never stored (a drafted reply's), so it is inserted as it ends. */
  private endStep(step: RunStep, status: StepEnd, extra: { usage?: Usage | null; last_error?: RunStep["last_error"] }, stored: boolean): RunStep {
    const now = this.clock();
    const next: RunStep = {
      ...step,
      ...extra,
      status,
      completed_at: status === "completed" ? now : null,
      failed_at: status === "failed" ? now : null,
      cancelled_at: status === "cancelled" ? now : null,
      expired_at: status === "expired" ? now : null,
    };
    if (stored) this.steps.update(next);
    else this.steps.insert(next);
    this.events.emit(step.run_id, `thread.run.step.${status}`, next);
    return next;
  }

  /**
   * Whether a client streams the run now. A run's followers subscribe before it is announced, or before it goes
   * on after tool outputs (run-service.ts), so none can arrive during a model turn: a turn no one follows at its
   * first token is followed by no one until it ends.
   */
  isFollowed(runId: string): boolean {
    return this.events.isFollowed(runId);
  }

  /**
   * A reply as it opens, the message_creation step and its message, in memory only: storeReply stores it, or
   * finishReply stores it ended, if it ends before its first store (model-turn.ts: a reply no one streams).
   */
  draftReply(run: Run): Reply {
    const message: Message = {
      id: newId("msg_"),
      object: "thread.message",
      created_at: this.clock(),
      thread_id: run.thread_id,
      status: "in_progress",
      incomplete_details: null,
      completed_at: null,
      incomplete_at: null,
      role: "assistant",
      content: [],
      assistant_id: run.assistant_id,
      run_id: run.id,
      attachments: [],
      metadata: {},
    };
    return { step: this.newStep(run, { type: "message_creation", message_creation: { message_id: message.id } }), message };
  }

  /**
   * Stores a drafted reply, open, with `text` so far, in one transaction: the step, then its message, announced
   * created and in_progress (announceReply) unless `announce` is false (stored before the model's first token,
   * announced by it). False, storing nothing, when its run is gone: its thread was deleted while the model
   * answered, and no row may outlive it.
   */
  storeReply(reply: Reply, text = "", announce = true): boolean {
    return this.atomically(() => {
      if (this.runs.projectOf(reply.step.run_id) === null) return false;
      this.steps.insert(reply.step);
      this.messages.insert(text === "" ? reply.message : withText(reply.message, text));
      if (announce) this.announceReply(reply);
      return true;
    });
  }

  /** Announces a reply as it opens: its step, then its message (the order the hosted API streamed them). */
  announceReply(reply: Reply): void {
    this.announceOpened(reply.step);
    this.announceOpened(reply.message);
  }

  /** Removes a reply stored but never announced (its turn wrote no text): no event ever named it. */
  withdrawReply(reply: Reply): void {
    this.atomically(() => {
      this.messages.delete(reply.message.id);
      this.steps.delete(reply.step.id);
    });
  }

  /**
   * Ends a reply: its message with its final text (`thread.message.completed`, or `incomplete` with `reason`),
   * then its step, completed with `stepUsage`. `stored` false: the reply was drafted and never stored, so each
   * is inserted as it ends (one statement, not an insert and an update), announced as opened first.
   */
  finishReply(reply: Reply, text: string, reason: IncompleteReason | null, annotations: Annotation[], stepUsage: Usage, stored: boolean): Message {
    if (!stored) this.announceReply(reply);
    const message = this.endMessage(reply.message, text, reason, annotations, stored);
    this.endStep(reply.step, "completed", { usage: stepUsage }, stored);
    return message;
  }

  private announceOpened(object: RunStep | Message): void {
    const kind = object.object === "thread.run.step" ? "thread.run.step" : "thread.message";
    this.events.emit(object.run_id!, `${kind}.created`, object);
    this.events.emit(object.run_id!, `${kind}.in_progress`, object);
  }

  /** Several changes in one transaction (one commit; their events go out after it, in order). */
  atomically<T>(fn: () => T): T {
    return this.events.transaction(fn);
  }

  /** Emits a text delta of a stored reply; its text is stored apart (storeText), as often as the caller chooses. */
  messageDelta(message: Message, delta: string): void {
    this.events.emit(message.run_id!, "thread.message.delta", {
      id: message.id,
      object: "thread.message.delta",
      delta: { content: [{ index: 0, type: "text", text: { value: delta, annotations: [] } }] },
    });
  }

  /** Stores the reply's text so far, no event (its deltas went out as they came). */
  storeText(message: Message, fullText: string): void {
    this.messages.update(withText(message, fullText));
  }

  finishMessage(message: Message, fullText: string, reason: IncompleteReason | null, annotations: Annotation[] = []): Message {
    return this.endMessage(message, fullText, reason, annotations, true);
  }

  private endMessage(message: Message, fullText: string, reason: IncompleteReason | null, annotations: Annotation[], stored: boolean): Message {
    const now = this.clock();
    const next: Message = {
      ...withText(message, fullText, annotations),
      status: reason === null ? "completed" : "incomplete",
      completed_at: reason === null ? now : null,
      incomplete_at: reason === null ? null : now,
      incomplete_details: reason === null ? null : { reason },
    };
    if (stored) this.messages.update(next);
    else this.messages.insert(next);
    this.events.emit(message.run_id!, `thread.message.${next.status}`, next);
    return next;
  }
}

/** A reply: its message_creation step and the message it creates. */
export interface Reply {
  step: RunStep;
  message: Message;
}

function withText(message: Message, value: string, annotations: Annotation[] = []): Message {
  return { ...message, content: [{ type: "text", text: { value, annotations } }] };
}
