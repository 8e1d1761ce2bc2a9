import type { ChatModel, ChatRequest, ModelToolCall } from "../llm/chat-model.js";
import { mayBeTextToolCall, parseTextToolCalls } from "./text-tool-calls.js";

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
 * One streamed model call, as runs and responses both make it. `onText` gets the whole reply so far as it
 * grows, except while it could still be a tool call written as JSON text (models without native tool calls
 * do that): then it is held until it can be told apart, and parsed into calls if it was one. `onThinking`
 * gets the whole reasoning so far, for models that think.
 */
export async function streamChatTurn(
  chat: ChatModel,
  request: ChatRequest,
  signal: AbortSignal,
  onText: (fullText: string) => void,
  onThinking?: (fullThinking: string) => void,
): Promise<ChatTurn> {
  const offered = request.tools ?? [];
  const turn: ChatTurn = { text: "", thinking: "", thinkingTokens: 0, toolCalls: [], doneReason: "stop", promptTokens: 0, completionTokens: 0 };
  let holding = offered.length > 0;
  for await (const chunk of chat.chat(request, signal)) {
    if (chunk.type === "thinking") {
      turn.thinking += chunk.text;
      turn.thinkingTokens++;
      onThinking?.(turn.thinking);
    } else if (chunk.type === "text") {
      turn.text += chunk.text;
      if (holding && mayBeTextToolCall(turn.text)) continue;
      holding = false;
      onText(turn.text);
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
