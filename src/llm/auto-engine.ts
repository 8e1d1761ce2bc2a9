/**
 * LLM_BACKEND=auto's choice of engine per call (llm/backend.ts wires it): Ollama while it answers, else the
 * embedded engine. A name the manifest maps to both an Ollama tag and a GGUF goes to Ollama only while Ollama has
 * that tag pulled, and to the GGUF otherwise, so the same model answers whichever engine is there.
 */
import type { ChatChunk, ChatModel, ChatRequest, Embedder, ModelDetails } from "./chat-model.js";
import { isGgufName } from "./embedded/model-files.js";
import type { GgufOf } from "./model-catalog.js";

/** What the last look at Ollama saw: whether it answers, and the tags it has pulled. */
export interface OllamaSeen {
  up: boolean;
  models: readonly string[];
}

export type Engine = "ollama" | "embedded";

export class EngineChoice {
  constructor(
    private readonly ollama: () => Promise<OllamaSeen>,
    private readonly ggufFor: GgufOf,
  ) {}

  /** Where a call for this tag goes now. */
  async engineFor(tag: string): Promise<Engine> {
    if (isGgufName(tag)) return "embedded"; // a GGUF source (or a manifest name with only a GGUF) is the embedded engine's
    const seen = await this.ollama();
    if (!seen.up) return "embedded";
    return this.ggufFor(tag) === null || pulled(seen.models, tag) ? "ollama" : "embedded";
  }

  /** Whether a tag has a GGUF to fall back to (an embedder for any other name stays on Ollama). */
  hasGguf(tag: string): boolean {
    return this.ggufFor(tag) !== null;
  }
}

/** Ollama lists `name:latest` for a model pulled as `name`. */
function pulled(models: readonly string[], tag: string): boolean {
  return models.includes(tag) || (!tag.includes(":") && models.includes(`${tag}:latest`));
}

export class AutoChatModel implements ChatModel {
  constructor(
    private readonly engines: Record<Engine, ChatModel>,
    private readonly choice: EngineChoice,
  ) {}

  async details(model: string): Promise<ModelDetails> {
    return this.engines[await this.choice.engineFor(model)].details(model);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    yield* this.engines[await this.choice.engineFor(req.model)].chat(req, signal);
  }
}

/** An embedder whose every call goes where EngineChoice says (for a tag with both an Ollama tag and a GGUF). */
export function autoEmbedder(model: string, engines: Record<Engine, Embedder>, choice: EngineChoice): Embedder {
  return {
    model,
    embed: async (texts, signal) => engines[await choice.engineFor(model)].embed(texts, signal),
  };
}
