import type { BuiltinCallItem, FunctionCallItem, MessageItem, OutputText, ReasoningItem, Response, ResponseEvent, ResponseUsage } from "../api/responses-wire.js";
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { ItemEvent } from "../tools/builtin-tool.js";

export type ResponseEventSink = (event: ResponseEvent) => void;

/**
 * Builds one response's output and the events that describe it, in the hosted API's order: created,
 * in_progress, then per item added → (content part added → text deltas → text done → part done) → item done,
 * then completed / incomplete / failed. A model's reasoning is its own item (reasoning_text deltas), ended
 * before whatever follows it. Every event carries the next `sequence_number`; snapshots in events are
 * copies, so later changes never reach an event already sent.
 */
export class ResponseWriter {
  private sequence = 0;
  private message: MessageItem | null = null;
  private sentText = "";
  private reasoningItem: ReasoningItem | null = null;
  /** Built-in call items opened and not yet done (ended `incomplete` if the response fails or is cancelled). */
  private readonly openItems = new Set<BuiltinCallItem>();

  /**
   * `unread`: nobody can see these events (a plain request's response: not background, so nothing stores them
   * or streams them later, and streamed to nobody), so none is built: only the response they would describe is.
   * A copy of its snapshot per event was a tenth of such a request's time, and the event per text delta most of
   * what a long reply cost (BENCHMARKS.md, "Responses: no events for a plain request").
   */
  constructor(
    readonly response: Response,
    private readonly sink: ResponseEventSink,
    private readonly clock: Clock,
    private readonly unread = false,
  ) {}

  start(): void {
    this.emit("response.created", { response: this.snapshot() });
    this.emit("response.in_progress", { response: this.snapshot() });
  }

  /** A background response left for another node to execute: created, then queued. */
  queue(): void {
    this.response.status = "queued";
    this.emit("response.created", { response: this.snapshot() });
    this.emit("response.queued", { response: this.snapshot() });
  }

  /** A queued response taken up (its events so far end before `nextSequence`): in progress, or ended at once. */
  resume(nextSequence: number, begin = true): void {
    this.sequence = nextSequence;
    if (!begin) return;
    this.response.status = "in_progress";
    this.emit("response.in_progress", { response: this.snapshot() });
  }

  /** The next piece of the turn's reasoning: opens a reasoning item on the first, then streams the rest. */
  reasoning(delta: string): void {
    if (delta === "") return;
    const item = this.reasoningItem ?? this.openReasoning();
    item.content[0]!.text += delta;
    this.emitDelta("response.reasoning_text.delta", () => ({ ...this.at(item), content_index: 0, delta }));
  }

  /** Ends the open reasoning item (the model moved on to its reply or a call, or stopped). */
  private finishReasoning(status: "completed" | "incomplete" = "completed"): void {
    const item = this.reasoningItem;
    if (!item) return;
    this.reasoningItem = null;
    const part = item.content[0]!;
    item.status = status;
    this.emit("response.reasoning_text.done", { ...this.at(item), content_index: 0, text: part.text });
    this.emit("response.content_part.done", { ...this.at(item), content_index: 0, part: this.copy(part) });
    this.emit("response.output_item.done", { output_index: this.indexOf(item), item: this.copy(item) });
  }

  /** The next piece of the reply: opens the message and its text part on the first, then streams the rest. */
  text(delta: string): void {
    if (delta === "") return;
    this.finishReasoning();
    const message = this.message ?? this.openMessage();
    this.sentText += delta;
    (message.content[0] as OutputText).text = this.sentText;
    this.emitDelta("response.output_text.delta", () => ({ ...this.at(message), content_index: 0, delta, logprobs: [] }));
  }

  /**
   * Ends the message (if any text was written): text done, part done, item done. `cited` is the text with its
   * citations: markers appended to the reply stream as one last delta, then each annotation is announced.
   */
  finishMessage(status: "completed" | "incomplete", cited?: { text: string; annotations: unknown[] }): void {
    this.finishReasoning(status); // a turn that only reasoned ends its reasoning as the turn ended
    const message = this.message;
    if (!message) return;
    const part = message.content[0] as OutputText;
    if (cited && cited.text.startsWith(this.sentText)) {
      this.text(cited.text.slice(this.sentText.length));
      for (const annotation of cited.annotations) {
        part.annotations.push(annotation);
        this.emit("response.output_text.annotation.added", { ...this.at(message), content_index: 0, annotation_index: part.annotations.length - 1, annotation: this.copy(annotation) });
      }
    }
    this.message = null;
    this.sentText = "";
    message.status = status;
    this.emit("response.output_text.done", { ...this.at(message), content_index: 0, text: part.text, logprobs: [] });
    this.emit("response.content_part.done", { ...this.at(message), content_index: 0, part: this.copy(part) });
    this.emit("response.output_item.done", { output_index: this.indexOf(message), item: this.copy(message) });
  }

  /** A function call, whole: item added (arguments empty), the arguments as one delta, done, item done. */
  functionCall(name: string, args: string): FunctionCallItem {
    this.finishReasoning();
    const item: FunctionCallItem = { id: newId("fc_"), type: "function_call", status: "in_progress", call_id: newId("call_"), name, arguments: "" };
    this.response.output.push(item);
    this.emit("response.output_item.added", { output_index: this.indexOf(item), item: this.copy(item) });
    this.emit("response.function_call_arguments.delta", { ...this.at(item), delta: args });
    item.arguments = args;
    this.emit("response.function_call_arguments.done", { ...this.at(item), name, arguments: args });
    item.status = "completed";
    this.emit("response.output_item.done", { output_index: this.indexOf(item), item: this.copy(item) });
    return item;
  }

  /** A built-in call's item opening: item added, then the events its tool sends before the call runs. */
  openItem<I extends BuiltinCallItem>(item: I, events: readonly ItemEvent<I>[]): I {
    this.finishReasoning();
    this.response.output.push(item);
    this.openItems.add(item);
    this.emit("response.output_item.added", { output_index: this.indexOf(item), item: this.copy(item) });
    this.itemEvents(item, events);
    return item;
  }

  /** The call ran: its tool's closing events, then item done. */
  finishItem<I extends BuiltinCallItem>(item: I, events: readonly ItemEvent<I>[]): void {
    this.itemEvents(item, events);
    this.itemDone(item);
  }

  private itemEvents<I extends BuiltinCallItem>(item: I, events: readonly ItemEvent<I>[]): void {
    for (const event of events) {
      event.apply?.(item);
      this.emit(event.type, { ...this.at(item), ...event.fields });
    }
  }

  private itemDone(item: BuiltinCallItem): void {
    this.openItems.delete(item);
    this.emit("response.output_item.done", { output_index: this.indexOf(item), item: this.copy(item) });
  }

  /** What was open when the response stopped ends `incomplete`, announced done like any other item. */
  private endOpen(): void {
    this.finishReasoning("incomplete");
    if (this.message) this.finishMessage("incomplete");
    for (const item of this.openItems) {
      item.status = "incomplete";
      this.itemDone(item);
    }
  }

  complete(usage: ResponseUsage): Response {
    return this.end("completed", { usage, completed_at: this.clock() }, "response.completed");
  }

  incomplete(usage: ResponseUsage, reason: "max_output_tokens"): Response {
    return this.end("incomplete", { usage, incomplete_details: { reason } }, "response.incomplete");
  }

  /** Ends the response failed; an open message ends incomplete (its text so far stays). */
  fail(error: { code: string; message: string }, usage: ResponseUsage = zeroUsage()): Response {
    this.endOpen();
    return this.end("failed", { error, usage }, "response.failed");
  }

  /** Ends the response cancelled (no event: the hosted API sends none; streams end after the last one sent). */
  cancel(usage: ResponseUsage = zeroUsage()): Response {
    this.endOpen();
    Object.assign(this.response, { status: "cancelled", usage });
    return this.snapshot();
  }

  /** The response as it stands: ended, when storing its end is what failed. */
  current(): Response {
    return this.snapshot();
  }

  private end(status: Response["status"], fields: Partial<Response>, event: string): Response {
    Object.assign(this.response, { status, ...fields });
    this.emit(event, { response: this.snapshot() });
    return this.snapshot();
  }

  private openReasoning(): ReasoningItem {
    const item: ReasoningItem = { id: newId("rs_"), type: "reasoning", status: "in_progress", summary: [], content: [] };
    this.response.output.push(item);
    this.emit("response.output_item.added", { output_index: this.indexOf(item), item: this.copy(item) });
    const part = { type: "reasoning_text" as const, text: "" };
    item.content.push(part);
    this.emit("response.content_part.added", { ...this.at(item), content_index: 0, part: this.copy(part) });
    this.reasoningItem = item;
    return item;
  }

  private openMessage(): MessageItem {
    const message: MessageItem = { id: newId("msg_"), type: "message", role: "assistant", status: "in_progress", content: [] };
    this.response.output.push(message);
    this.emit("response.output_item.added", { output_index: this.indexOf(message), item: this.copy(message) });
    const part: OutputText = { type: "output_text", text: "", annotations: [], logprobs: [] };
    message.content.push(part);
    this.emit("response.content_part.added", { ...this.at(message), content_index: 0, part: this.copy(part) });
    this.message = message;
    return message;
  }

  private at(item: { id: string }): { item_id: string; output_index: number } {
    return { item_id: item.id, output_index: this.indexOf(item) };
  }

  private indexOf(item: { id: string }): number {
    return this.response.output.findIndex((o) => o.id === item.id);
  }

  private snapshot(): Response {
    return this.copy(this.response);
  }

  private copy<V>(value: V): V {
    return this.unread ? value : clone(value);
  }

  private emit(type: string, fields: Record<string, unknown>): void {
    const sequence_number = this.sequence++;
    if (!this.unread) this.sink({ type, sequence_number, ...fields });
  }

  /** A delta event, one per token: its fields are built only when someone can read it (numbered either way). */
  private emitDelta(type: string, fields: () => Record<string, unknown>): void {
    if (this.unread) this.sequence++;
    else this.emit(type, fields());
  }
}

export function zeroUsage(): ResponseUsage {
  return { input_tokens: 0, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
