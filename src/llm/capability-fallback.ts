import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "./chat-model.js";
import { withToolsAsText } from "./text-tool-calls.js";

/**
 * A ChatModel that asks for what the model can do, per Ollama's `/api/show` capabilities: a model without
 * `tools` gets no `tools` field (Ollama answers 400 "does not support tools") but the tools described in its
 * prompt, in the JSON-text protocol the turn's parser already reads back (llm/text-tool-calls.ts), and its
 * history's tool calls and outputs as text (with or without tools offered now). Servers
 * that report no capabilities (Ollama before 0.6.4, OpenAI-compatible ones) are sent tools natively.
 */
export class CapabilityFallback implements ChatModel {
  constructor(private readonly inner: ChatModel) {}

  details(model: string): Promise<ModelDetails> {
    return this.inner.details(model);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    // Earlier tool turns matter even with no tools offered now: such a template has no tool role to show them.
    const toolTurns = req.messages.some((m) => m.role === "tool" || (m.role === "assistant" && (m.tool_calls?.length ?? 0) > 0));
    if (!req.tools?.length && !toolTurns) return yield* this.inner.chat(req, signal);
    // Cached by the adapter, and already fetched when the request was sized (resolveModel): no extra call.
    const { capabilities } = await this.inner.details(req.model);
    const native = capabilities.length === 0 || capabilities.includes("tools");
    yield* this.inner.chat(native ? req : withToolsAsText(req), signal);
  }
}

/** True for a model that only embeds (Ollama reports `embedding` without `completion`): it cannot chat. */
export function isEmbeddingOnly(details: Pick<ModelDetails, "capabilities">): boolean {
  return details.capabilities.includes("embedding") && !details.capabilities.includes("completion");
}
