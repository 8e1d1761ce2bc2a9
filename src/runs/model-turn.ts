import type { Message, Run, RunStep, Usage } from "../api/wire.js";
import type { ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import { streamChatTurn } from "./chat-turn.js";
import type { Cited } from "./citations.js";
import type { RunRecorder } from "./recorder.js";
import { ServerShutdown } from "./state.js";
import { guarded } from "../log.js";

/**
 * How often (at most) streamed text is written to the stored message, so pollers see progress: text not yet
 * stored is written this long after the last write (or after the message opened), by a timer if no token comes
 * by then (a model that pauses). A reply finished sooner is stored once, by finishMessage, not also in a commit
 * of its own for its first token (bench/run-overhead.ts: ~30 µs a run).
 */
const STORE_INTERVAL_MS = 100;

export interface TurnResult {
  /**
   * Finishes the reply's message (its final text stored, `thread.message.completed` or `incomplete`); the message,
   * or null when the model wrote no text. The caller calls it once, in the commit that goes on from the reply
   * (the run's end, or its tool calls), so a reply that ends a run costs no commit of its own.
   */
  finishReply: () => Message | null;
  /** The message_creation step (null when the model wrote no text), still open. */
  step: RunStep | null;
  toolCalls: ModelToolCall[];
  doneReason: string;
  usage: Usage;
}

/** One streamed model call of a run (streamChatTurn), its text written to the run's message as it arrives. */
export async function streamModelTurn(
  run: Run,
  request: ChatRequest,
  deps: { chat: ChatModel; recorder: RunRecorder; annotate?: ((text: string) => Cited) | undefined },
  signal: AbortSignal,
): Promise<TurnResult> {
  const reply = new ReplyWriter(run, deps.recorder, deps.annotate);
  let turn;
  try {
    turn = await streamChatTurn(deps.chat, request, signal, (text) => reply.write(text));
  } catch (err) {
    reply.abandon(signal.aborted && !(signal.reason instanceof ServerShutdown) ? "cancelled" : "failed", err);
    throw err;
  }
  const { toolCalls, doneReason } = turn;
  const usage: Usage = { prompt_tokens: turn.promptTokens, completion_tokens: turn.completionTokens, total_tokens: turn.promptTokens + turn.completionTokens };
  const truncated = doneReason === "length" && toolCalls.length === 0;
  return { finishReply: () => reply.finish(truncated ? "max_tokens" : null), step: reply.step, toolCalls, doneReason, usage };
}

/** Opens the reply's step and message on the first text, then streams deltas and stores progress. */
class ReplyWriter {
  step: RunStep | null = null;
  private message: Message | null = null;
  private sent = "";
  private storedAt = 0;
  /** The write of text that came since the last one, due at storedAt + STORE_INTERVAL_MS. */
  private pendingStore: NodeJS.Timeout | null = null;
  /** Finished or abandoned: its message holds its final text, which no pending write may replace. */
  private ended = false;

  constructor(
    private readonly run: Run,
    private readonly recorder: RunRecorder,
    private readonly annotate?: (text: string) => Cited,
  ) {}

  /** The next piece of the reply. */
  write(delta: string): void {
    if (delta === "") return;
    const now = Date.now();
    if (!this.message) {
      ({ step: this.step, message: this.message } = this.recorder.startMessageCreation(this.run));
      this.storedAt = now;
    }
    this.sent += delta;
    const store = now - this.storedAt >= STORE_INTERVAL_MS;
    if (store) {
      this.storedAt = now;
      this.cancelPendingStore();
    } else if (!this.ended) this.pendingStore ??= setTimeout(() => this.storePending(), this.storedAt + STORE_INTERVAL_MS - now);
    this.recorder.messageDelta(this.message, this.sent, delta, store);
  }

  private storePending(): void {
    this.pendingStore = null;
    this.storedAt = Date.now();
    const message = this.message;
    if (message && !this.ended) guarded("storing a reply's text so far", () => this.recorder.storeText(message, this.sent));
  }

  private cancelPendingStore(): void {
    if (this.pendingStore) clearTimeout(this.pendingStore);
    this.pendingStore = null;
  }

  /** Completes the message; citations may append markers, sent as one last delta so deltas add up to the text. */
  finish(incompleteReason: "max_tokens" | null): Message | null {
    if (!this.message) return null;
    const cited = this.annotate?.(this.sent) ?? { text: this.sent, annotations: [] };
    if (cited.text.startsWith(this.sent)) this.write(cited.text.slice(this.sent.length));
    this.cancelPendingStore(); // after that last write, which may have set it
    this.ended = true;
    this.message = this.recorder.finishMessage(this.message, cited.text, incompleteReason, cited.annotations);
    return this.message;
  }

  /** Ends an interrupted reply (cancel, failure) so neither its message nor its step is left in_progress. */
  abandon(how: "cancelled" | "failed", err: unknown): void {
    this.cancelPendingStore();
    this.ended = true;
    if (this.message) this.recorder.finishMessage(this.message, this.sent, how === "cancelled" ? "run_cancelled" : "run_failed");
    if (this.step) {
      const last_error = how === "failed" ? { code: "server_error" as const, message: err instanceof Error ? err.message : String(err) } : null;
      this.recorder.finishStep(this.step, how, { last_error });
    }
  }
}
