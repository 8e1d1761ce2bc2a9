import type { EmbeddingCreateParams, EmbeddingList } from "../api/embeddings.js";
import { badRequest } from "../errors.js";
import { ModelError, type Embedder } from "./chat-model.js";
import { ModelCatalog } from "./model-catalog.js";

/**
 * `embeddings.create` over the same embedders vector stores use. Text only (token arrays are a 400: Ollama
 * embeds text); `dimensions` only as the model makes them (no silent truncation); `usage` counted in cl100k
 * tokens, the encoding of OpenAI's embedding models, as the chunker counts them.
 */
export class EmbeddingsEndpoint {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly embedderFor: (tag: string) => Embedder,
    /** What vector stores embed with: OpenAI's embedding names (text-embedding-*) run on it. */
    private readonly defaultEmbedder: Embedder | null,
  ) {}

  async create(p: EmbeddingCreateParams): Promise<EmbeddingList> {
    const texts = typeof p.input === "string" ? [p.input] : p.input;
    if (!texts.every((t): t is string => typeof t === "string")) {
      throw badRequest("Token arrays are not supported by this server: send the input as text (a string or an array of strings).", "input", "unsupported_value");
    }
    const empty = texts.findIndex((t) => t === "");
    if (empty !== -1) throw badRequest("'$.input' is invalid: an input cannot be an empty string.", typeof p.input === "string" ? "input" : `input[${empty}]`, "invalid_value");
    const embedder = ModelCatalog.isOpenAiEmbeddingName(p.model) ? this.defaultEmbedder : nullable(this.catalog.resolveEmbedding(p.model), this.embedderFor);
    if (embedder === null) throw badRequest(`No embedding model is configured for '${p.model}': set EMBEDDING_MODEL (see models/manifest.json).`, "model", "model_not_found");
    const vectors = await embedder.embed(texts).catch((err: unknown) => {
      throw err instanceof ModelError ? err.toApiError() : err;
    });
    const dims = vectors[0]?.length ?? 0;
    if (p.dimensions !== undefined && p.dimensions !== dims) {
      throw badRequest(`The model '${p.model}' makes ${dims}-dimensional embeddings; 'dimensions' can only be ${dims} here.`, "dimensions", "unsupported_value");
    }
    // Loaded on first use: its BPE ranks are some 35 MB of memory a server that never embeds here does not need.
    const { countTokens } = await import("gpt-tokenizer/encoding/cl100k_base");
    const tokens = texts.reduce((n, t) => n + countTokens(t), 0);
    return {
      object: "list",
      data: vectors.map((v, index) => ({ object: "embedding", index, embedding: p.encoding_format === "base64" ? toBase64(v) : v })),
      model: p.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}

function nullable<T, R>(value: T | null, f: (value: T) => R): R | null {
  return value === null ? null : f(value);
}

/** Little-endian float32s, base64: what the SDK decodes for `encoding_format: "base64"`. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
