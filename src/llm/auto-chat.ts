import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "./chat-model.js";

/** LLM_BACKEND=auto's chat: each call goes to Ollama when it answers, else to the embedded engine (llm/backend.ts). */
export class AutoChatModel implements ChatModel {
  constructor(
    private readonly ollama: ChatModel,
    private readonly embedded: ChatModel,
    private readonly ollamaReachable: () => Promise<boolean>,
  ) {}

  async details(model: string): Promise<ModelDetails> {
    return (await this.pick()).details(model);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    yield* (await this.pick()).chat(req, signal);
  }

  private async pick(): Promise<ChatModel> {
    return (await this.ollamaReachable()) ? this.ollama : this.embedded;
  }
}
