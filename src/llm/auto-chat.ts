import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "./chat-model.js";
import { isGgufName } from "./embedded/model-files.js";

/** LLM_BACKEND=auto's chat: each call goes to Ollama when it answers, else to the embedded engine (llm/backend.ts). */
export class AutoChatModel implements ChatModel {
  constructor(
    private readonly ollama: ChatModel,
    private readonly embedded: ChatModel,
    private readonly ollamaReachable: () => Promise<boolean>,
  ) {}

  async details(model: string): Promise<ModelDetails> {
    return (await this.pick(model)).details(model);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    yield* (await this.pick(req.model)).chat(req, signal);
  }

  /** A GGUF source is the embedded engine's whatever answers; any other name goes where it can be served now. */
  private async pick(model: string): Promise<ChatModel> {
    if (isGgufName(model)) return this.embedded;
    return (await this.ollamaReachable()) ? this.ollama : this.embedded;
  }
}
