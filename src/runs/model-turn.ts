import type { Message, Run, RunStep, Usage } from "../api/wire.js";
import type { ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import type { Cited } from "./citations.js";
import type { RunRecorder } from "./recorder.js";
import { ServerShutdown } from "./state.js";
import { mayBeTextToolCall, parseTextToolCalls } from "./text-tool-calls.js";

/** How often (at most) streamed text is written to the stored message, so pollers see progress. */
const STORE_INTERVAL_MS = 100;

export interface TurnResult {
  /** The reply text, when the model wrote one (its message is already finished). */
  message: Message | null;
  /** The message_creation step, still open when the turn also produced tool calls. */
  step: RunStep | null;
  toolCalls: ModelToolCall[];
  doneReason: string;
  usage: Usage;
}

/**
 * One streamed model call. Text reaches listeners as it arrives, except when it could still be a tool
 * call written as JSON text (then it is held until it can be told apart).
 */
export async function streamModelTurn(
  run: Run,
  request: ChatRequest,
  deps: { chat: ChatModel; recorder: RunRecorder; annotate?: ((text: string) => Cited) | undefined },
  signal: AbortSignal,
): Promise<TurnResult> {
  const offered = request.tools ?? [];
  const reply = new ReplyWriter(run, deps.recorder, deps.annotate);
  const toolCalls: ModelToolCall[] = [];
  let holding = offered.length > 0;
  let doneReason = "stop";
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let text = "";

  try {
    for await (const chunk of deps.chat.chat(request, signal)) {
      if (chunk.type === "text") {
        text += chunk.text;
        if (holding && mayBeTextToolCall(text)) continue;
        holding = false;
        reply.write(text);
      } else if (chunk.type === "tool_call") {
        toolCalls.push(chunk.call);
      } else {
        doneReason = chunk.done_reason;
        usage.prompt_tokens = chunk.prompt_tokens;
        usage.completion_tokens = chunk.completion_tokens;
        usage.total_tokens = chunk.prompt_tokens + chunk.completion_tokens;
      }
    }
  } catch (err) {
    reply.abandon(signal.aborted && !(signal.reason instanceof ServerShutdown) ? "cancelled" : "failed", err);
    throw err;
  }
  if (holding && text.trim() !== "") {
    const parsed = parseTextToolCalls(text, offered);
    if (parsed) toolCalls.push(...parsed);
    else reply.write(text);
  }
  const truncated = doneReason === "length" && toolCalls.length === 0;
  const message = reply.finish(truncated ? "max_tokens" : null);
  return { message, step: reply.step, toolCalls, doneReason, usage };
}

/** Opens the reply's step and message on the first text, then streams deltas and stores progress. */
class ReplyWriter {
  step: RunStep | null = null;
  private message: Message | null = null;
  private sent = "";
  private storedAt = 0;

  constructor(
    private readonly run: Run,
    private readonly recorder: RunRecorder,
    private readonly annotate?: (text: string) => Cited,
  ) {}

  write(fullText: string): void {
    if (fullText.length <= this.sent.length) return;
    if (!this.message) ({ step: this.step, message: this.message } = this.recorder.startMessageCreation(this.run));
    const delta = fullText.slice(this.sent.length);
    const now = Date.now();
    const store = now - this.storedAt >= STORE_INTERVAL_MS;
    if (store) this.storedAt = now;
    this.message = this.recorder.messageDelta(this.message, fullText, delta, store);
    this.sent = fullText;
  }

  /** Completes the message; citations may append markers, sent as one last delta so deltas add up to the text. */
  finish(incompleteReason: "max_tokens" | null): Message | null {
    if (!this.message) return null;
    const cited = this.annotate?.(this.sent) ?? { text: this.sent, annotations: [] };
    if (cited.text.startsWith(this.sent) && cited.text.length > this.sent.length) this.write(cited.text);
    this.message = this.recorder.finishMessage(this.message, cited.text, incompleteReason, cited.annotations);
    return this.message;
  }

  /** Ends an interrupted reply (cancel, failure) so neither its message nor its step is left in_progress. */
  abandon(how: "cancelled" | "failed", err: unknown): void {
    if (this.message) this.recorder.finishMessage(this.message, this.sent, how === "cancelled" ? "run_cancelled" : "run_failed");
    if (this.step) {
      const last_error = how === "failed" ? { code: "server_error" as const, message: err instanceof Error ? err.message : String(err) } : null;
      this.recorder.finishStep(this.step, how, { last_error });
    }
  }
}
