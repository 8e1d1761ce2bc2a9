import type { ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import { mayBeTextToolCall, parseTextToolCalls } from "../llm/text-tool-calls.js";

export interface ChatTurn {
  /** The reply text ("" when the model's text turned out to be tool calls written as JSON). */
  text: string;
  /** The model's reasoning ("" for models that do not think), never part of `text`. */
  thinking: string;
  /** Reasoning chunks streamed: Ollama streams about one token per chunk and reports no separate count. */
  thinkingTokens: number;
  toolCalls: ModelToolCall[];
  doneReason: string;
  promptTokens: number;
  completionTokens: number;
}

/**
 * One streamed model call, as runs and responses both make it. `onText` gets each new piece of the reply,
 * except while it could still be a tool call written as JSON text (models without native tool calls do that):
 * then it is held until it can be told apart, and given as one piece, or parsed into calls if it was one.
 * `onThinking` gets each new piece of the reasoning, for models that think. Pieces, not the text so far: a
 * caller slicing a growing text would copy all of it on every chunk (quadratic in the reply's length).
 */
export async function streamChatTurn(
  chat: ChatModel,
  request: ChatRequest,
  signal: AbortSignal,
  onText: (delta: string) => void,
  onThinking?: (delta: string) => void,
): Promise<ChatTurn> {
  const offered = request.tools ?? [];
  const turn: ChatTurn = { text: "", thinking: "", thinkingTokens: 0, toolCalls: [], doneReason: "stop", promptTokens: 0, completionTokens: 0 };
  let holding = offered.length > 0;
  for await (const chunk of chat.chat(request, signal)) {
    if (chunk.type === "thinking") {
      turn.thinking += chunk.text;
      turn.thinkingTokens++;
      onThinking?.(chunk.text);
    } else if (chunk.type === "text") {
      turn.text += chunk.text;
      if (!holding) onText(chunk.text);
      else if (!mayBeTextToolCall(turn.text)) {
        holding = false;
        onText(turn.text); // all of it was held so far
      }
    } else if (chunk.type === "tool_call") {
      turn.toolCalls.push(chunk.call);
    } else {
      turn.doneReason = chunk.done_reason;
      turn.promptTokens = chunk.prompt_tokens;
      turn.completionTokens = chunk.completion_tokens;
    }
  }
  if (holding && turn.text.trim() !== "") {
    const parsed = parseTextToolCalls(turn.text, offered);
    if (parsed) {
      turn.toolCalls.push(...parsed);
      turn.text = "";
    } else onText(turn.text);
  }
  return turn;
}
