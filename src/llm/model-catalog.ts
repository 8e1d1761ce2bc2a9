import fs from "node:fs";
import { z } from "zod";

const Manifest = z.object({
  default_chat_model: z.string().min(1),
  default_embedding_model: z.string(),
  chat_models: z.record(z.string(), z.object({ ollama: z.string().min(1), context_length: z.int().positive() })),
  embedding_models: z.record(z.string(), z.object({ ollama: z.string().min(1), dims: z.int().positive() })),
});
export type ModelManifest = z.infer<typeof Manifest>;

export interface ResolvedChatModel {
  /** The Ollama tag to run. */
  tag: string;
  /** Context window we plan for; null when the manifest does not know the model (ask /api/show). */
  contextLength: number | null;
}

/** Names the hosted API served; tutorial code sends them, so they map to our default chat model. gpt-oss is an open-weight model Ollama runs itself (gpt-oss:20b): its name is its tag. */
const OPENAI_MODEL_NAME = /^(gpt-(?!oss)|o[1-9](-|$)|chatgpt-|text-davinci|davinci|babbage)/;

/** Resolves public model names (what clients send and see) to Ollama tags. */
export class ModelCatalog {
  constructor(
    private readonly manifest: ModelManifest,
    private readonly overrides: { chatModel: string | null; embeddingModel: string | null } = {
      chatModel: null,
      embeddingModel: null,
    },
  ) {}

  static load(file: string, overrides: { chatModel: string | null; embeddingModel: string | null }): ModelCatalog {
    const manifest = Manifest.parse(JSON.parse(fs.readFileSync(file, "utf8")));
    return new ModelCatalog(manifest, overrides);
  }

  get defaultChatModel(): string {
    return this.overrides.chatModel ?? this.manifest.default_chat_model;
  }

  resolveChat(name: string): ResolvedChatModel {
    const publicName = OPENAI_MODEL_NAME.test(name) ? this.defaultChatModel : name;
    const entry = this.manifest.chat_models[publicName];
    return entry ? { tag: entry.ollama, contextLength: entry.context_length } : { tag: publicName, contextLength: null };
  }

  /** The public names the manifest lists: chat models, then embedding models. */
  publicNames(): { chat: string[]; embedding: string[] } {
    return { chat: Object.keys(this.manifest.chat_models), embedding: Object.keys(this.manifest.embedding_models) };
  }

  /** Whether a name is one of the hosted API's, served by the default chat model. */
  static isOpenAiName(name: string): boolean {
    return OPENAI_MODEL_NAME.test(name);
  }

  /** OpenAI's embedding model names (text-embedding-3-small, …): they run on the default embedding model. */
  static isOpenAiEmbeddingName(name: string): boolean {
    return /^text-embedding-/.test(name);
  }

  /**
   * The Ollama tag for an embeddings request's `model`: OpenAI's embedding names (text-embedding-*) are the
   * default embedding model (null when none is configured), the manifest's names their tag, others a tag as given.
   */
  resolveEmbedding(name: string): string | null {
    if (ModelCatalog.isOpenAiEmbeddingName(name)) return this.embeddingTag;
    return this.manifest.embedding_models[name]?.ollama ?? name;
  }

  /** The embedding model's Ollama tag, or null when vector stores must use BM25 alone. */
  get embeddingTag(): string | null {
    const name = this.overrides.embeddingModel ?? this.manifest.default_embedding_model;
    if (name === "") return null;
    return this.manifest.embedding_models[name]?.ollama ?? name;
  }
}
