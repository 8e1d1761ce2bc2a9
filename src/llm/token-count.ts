import type { ChatMessage, ModelDetails, TokenCount } from "./chat-model.js";

// What an image costs in a vision model's context (LLaVA: 576 tokens; Llama 3.2 Vision tiles count more).
const IMAGE_TOKENS = 1024;

/**
 * Conservative token estimate, for servers that expose no tokenizer (Ollama): about three characters per token
 * plus per-message overhead overestimates typical BPE counts, so prompts fit.
 */
export function estimate(messages: ChatMessage[]): number {
  let tokens = 0;
  for (const m of messages) {
    tokens += 8 + Math.ceil(m.content.length / 3);
    if (m.role === "user" && m.images) tokens += m.images.length * IMAGE_TOKENS;
    if (m.role === "assistant" && m.tool_calls) tokens += Math.ceil(JSON.stringify(m.tool_calls).length / 3);
  }
  return tokens;
}

/** How prompts for this model are counted: exactly where its engine has the tokenizer, else estimated. */
export function tokenCounter(details: Pick<ModelDetails, "countTokens">): TokenCount {
  return details.countTokens ?? estimate;
}
