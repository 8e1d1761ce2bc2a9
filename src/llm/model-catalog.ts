import fs from "node:fs";
import { z } from "zod";

/**
 * Where a public name runs: an Ollama tag, a GGUF source for the embedded engine (a file in models/, a path, an
 * https:// URL or an hf: URI), or both (the same model on either engine; LLM_BACKEND=auto prefers Ollama when it
 * has the tag, llm/auto-engine.ts).
 */
const Sources = {
  ollama: z.string().min(1).optional(),
  gguf: z.string().min(1).optional(),
};
const servedSomewhere = (entry: { ollama?: string | undefined; gguf?: string | undefined }) => entry.ollama !== undefined || entry.gguf !== undefined;
const SOURCE_NEEDED = { message: "names neither an ollama tag nor a gguf" };

const Manifest = z.object({
  default_chat_model: z.string().min(1),
  default_embedding_model: z.string(),
  chat_models: z.record(z.string(), z.object({ ...Sources, context_length: z.int().positive() }).refine(servedSomewhere, SOURCE_NEEDED)),
  embedding_models: z.record(z.string(), z.object({ ...Sources, dims: z.int().positive() }).refine(servedSomewhere, SOURCE_NEEDED)),
});
export type ModelManifest = z.infer<typeof Manifest>;

export interface ResolvedChatModel {
  /** The model the engines are asked for: its Ollama tag, or its GGUF source when the manifest gives only that (see `ggufFor`). */
  tag: string;
  /** Context window we plan for; null when the manifest does not know the model (ask /api/show). */
  contextLength: number | null;
}

/** Names the hosted API served; tutorial code sends them, so they map to our default chat model. gpt-oss is an open-weight model Ollama runs itself (gpt-oss:20b): its name is its tag. */
const OPENAI_MODEL_NAME = /^(gpt-(?!oss)|o[1-9](-|$)|chatgpt-|text-davinci|davinci|babbage)/;

/** The GGUF the manifest gives a model the engines are asked for by its tag (see ModelCatalog.ggufFor). */
export type GgufOf = (tag: string) => string | null;

/** Resolves public model names (what clients send and see) to the tags the engines are asked for. */
export class ModelCatalog {
  /** Tag (an Ollama tag, or the GGUF source itself) → the manifest's GGUF source for it. */
  private readonly ggufs = new Map<string, string>();

  constructor(
    private readonly manifest: ModelManifest,
    private readonly overrides: { chatModel: string | null; embeddingModel: string | null } = {
      chatModel: null,
      embeddingModel: null,
    },
  ) {
    for (const entry of [...Object.values(manifest.chat_models), ...Object.values(manifest.embedding_models)]) {
      if (entry.gguf === undefined) continue;
      // The first entry wins: two names sharing an Ollama tag are one model.
      for (const tag of [tagOf(entry), entry.gguf]) if (!this.ggufs.has(tag)) this.ggufs.set(tag, entry.gguf);
    }
  }

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
    return entry ? { tag: tagOf(entry), contextLength: entry.context_length } : { tag: publicName, contextLength: null };
  }

  /**
   * The GGUF source the manifest gives the model with this tag (an Ollama tag it lists, or a GGUF it lists), for
   * the embedded engine; null when the manifest gives it none (the embedded engine then runs its default model).
   */
  readonly ggufFor: GgufOf = (tag) => this.ggufs.get(tag) ?? null;

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
    return ModelCatalog.isOpenAiEmbeddingName(name) ? this.embeddingTag : this.embeddingTagOf(name);
  }

  /** The embedding model's tag, or null when vector stores must use BM25 alone. */
  get embeddingTag(): string | null {
    const name = this.overrides.embeddingModel ?? this.manifest.default_embedding_model;
    return name === "" ? null : this.embeddingTagOf(name);
  }

  private embeddingTagOf(name: string): string {
    const entry = this.manifest.embedding_models[name];
    return entry ? tagOf(entry) : name;
  }
}

/** What the engines are asked for by a manifest entry: its Ollama tag, else its GGUF (the schema requires one). */
function tagOf(entry: { ollama?: string | undefined; gguf?: string | undefined }): string {
  return entry.ollama ?? entry.gguf!;
}
