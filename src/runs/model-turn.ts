import type { Message, Run, Usage } from "../api/wire.js";
import type { ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import { streamChatTurn } from "./chat-turn.js";
import type { Cited } from "./citations.js";
import type { Reply, RunRecorder } from "./recorder.js";
import { ServerShutdown } from "./state.js";
import { guarded } from "../log.js";

/**
 * How often (at most) streamed text is written to the stored message, so pollers see progress: text not yet
 * stored is written this long after the last write (or after the reply opened), by a timer if no token comes
 * by then (a model that pauses). A reply finished sooner is stored once, as it ends, in the commit that goes
 * on from it (bench/run-overhead.ts: ~30 µs a run for its first token's text alone).
 *
 * When the reply's step and message are stored depends on who watches the run:
 * - no client streams it: on the same clock as its text, at most this long after its first token; a reply
 *   ended sooner costs no commit of its own and one insert each (BENCHMARKS.md, "Runs: a reply no one streams
 *   is stored as it ends");
 * - a client streams it: before its first token goes out, so a streamed `thread.message.created` can always be
 *   read back. A turn that can only answer in text (no tools offered) stores them as the model call starts,
 *   while the model reads the prompt, and announces them at the first token: that commit is then off the first
 *   token's path (BENCHMARKS.md, "Runs: a streamed reply is stored before its first token"). A turn that can call
 *   tools may not answer in text at all, so it stores them at its first token.
 */
const STORE_INTERVAL_MS = 100;

export interface TurnResult {
  /**
   * Finishes the reply (its message's final text stored, `thread.message.completed` or `incomplete`, then its
   * step completed with `stepUsage`); the message, or null when the model wrote no text. The caller calls it
   * once, in the commit that goes on from the reply (the run's end, or its tool calls), so a reply that ends a
   * run costs no commit of its own.
   */
  finishReply: (stepUsage: Usage) => Message | null;
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
  if (answersInTextOnly(request) && deps.recorder.isFollowed(run.id)) reply.storeEarly();
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
  return { finishReply: (stepUsage) => reply.finish(truncated ? "max_tokens" : null, stepUsage), toolCalls, doneReason, usage };
}

/** A turn offered no tools answers in text (or not at all): it cannot turn out to be tool calls. */
function answersInTextOnly(request: ChatRequest): boolean {
  return request.tools === undefined || request.tools.length === 0;
}

/** Opens the reply's step and message on the first text, then streams deltas and stores progress. */
class ReplyWriter {
  private reply: Reply | null = null;
  /** Whether the reply's step and message are in the store yet (see STORE_INTERVAL_MS). */
  private stored = false;
  /** Whether the first text came: the reply is announced (created, in_progress) from then on. */
  private opened = false;
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

  /**
   * Stores the reply's step and message before the model's first token, unannounced: the first text announces
   * them; a turn that ends with none withdraws them (see STORE_INTERVAL_MS).
   */
  storeEarly(): void {
    this.reply = this.recorder.draftReply(this.run);
    this.stored = this.recorder.storeReply(this.reply, "", false);
  }

  /** The next piece of the reply. */
  write(delta: string): void {
    if (delta === "") return;
    const now = Date.now();
    const reply = this.opened ? this.reply! : this.open(now);
    this.sent += delta;
    if (now - this.storedAt >= STORE_INTERVAL_MS) {
      this.storedAt = now;
      this.cancelPendingStore();
      this.storeSoFar();
    } else if (!this.ended) this.pendingStore ??= setTimeout(() => this.storePending(), this.storedAt + STORE_INTERVAL_MS - now);
    // Deltas of a reply not yet stored have no one to go to: no client streams its run.
    if (this.stored) this.recorder.messageDelta(reply.message, delta);
  }

  /** The reply's first text: announced if stored early, else drafted, and stored now if a client streams it. */
  private open(now: number): Reply {
    this.opened = true;
    this.storedAt = now;
    const reply = (this.reply ??= this.recorder.draftReply(this.run));
    if (this.stored) this.recorder.announceReply(reply);
    else if (this.recorder.isFollowed(this.run.id)) this.storeSoFar();
    return reply;
  }

  /** Removes a reply stored early that never opened: it was never announced, and no message is left empty. */
  private withdrawUnopened(): void {
    if (this.stored && !this.opened) this.recorder.withdrawReply(this.reply!);
    this.stored = false;
  }

  /** Stores the reply with its text so far: opens it in the store the first time, then updates its text. */
  private storeSoFar(): void {
    const reply = this.reply!;
    if (this.stored) this.recorder.storeText(reply.message, this.sent);
    else this.stored = this.recorder.storeReply(reply, this.sent);
  }

  private storePending(): void {
    this.pendingStore = null;
    this.storedAt = Date.now();
    if (this.opened && !this.ended) guarded("storing a reply's text so far", () => this.storeSoFar());
  }

  private cancelPendingStore(): void {
    if (this.pendingStore) clearTimeout(this.pendingStore);
    this.pendingStore = null;
  }

  /** Completes the message and its step; citations may append markers, sent as one last delta so deltas add up to the text. */
  finish(incompleteReason: "max_tokens" | null, stepUsage: Usage): Message | null {
    if (!this.opened) {
      this.withdrawUnopened();
      return null;
    }
    const cited = this.annotate?.(this.sent) ?? { text: this.sent, annotations: [] };
    if (cited.text.startsWith(this.sent)) this.write(cited.text.slice(this.sent.length));
    this.cancelPendingStore(); // after that last write, which may have set it
    this.ended = true;
    return this.recorder.finishReply(this.reply!, cited.text, incompleteReason, cited.annotations, stepUsage, this.stored);
  }

  /** Ends an interrupted reply (cancel, failure) so neither its message nor its step is left in_progress. */
  abandon(how: "cancelled" | "failed", err: unknown): void {
    this.cancelPendingStore();
    this.ended = true;
    if (!this.opened) return this.withdrawUnopened();
    if (!this.stored) this.storeSoFar(); // as it was so far, then ended like a stored one
    if (!this.stored) return; // its run is gone (the thread was deleted): nothing to end
    const reply = this.reply!;
    this.recorder.finishMessage(reply.message, this.sent, how === "cancelled" ? "run_cancelled" : "run_failed");
    const last_error = how === "failed" ? { code: "server_error" as const, message: err instanceof Error ? err.message : String(err) } : null;
    this.recorder.finishStep(reply.step, how, { last_error });
  }
}
