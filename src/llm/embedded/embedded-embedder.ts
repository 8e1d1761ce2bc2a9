/** Embedder on a GGUF model in this process (LLM_BACKEND=embedded with EMBEDDED_EMBEDDING_MODEL). */
import { ModelError, type Embedder } from "../chat-model.js";
import { cancellation } from "../call-lifetime.js";
import type { LlamaRuntime } from "./llama-runtime.js";
import type { ModelFiles } from "./model-files.js";

export class EmbeddedEmbedder implements Embedder {
  constructor(
    private readonly runtime: LlamaRuntime,
    /** The name vector stores record (the EMBEDDED_EMBEDDING_MODEL given): a GGUF source (model-files.ts). */
    readonly model: string,
    private readonly files: ModelFiles,
  ) {}

  /** One vector per text, in order; one embedding context per model, texts one after another in it. */
  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    // Looked up (or downloaded) per call, not at boot: a missing file fails the ingestion that needs it, saying which.
    const file = await this.files.ensure(this.model);
    return this.runtime
      .withEmbedding(file, async (context) => {
        const vectors: number[][] = [];
        for (const text of texts) {
          if (signal?.aborted) throw cancellation(signal);
          vectors.push([...(await context.getEmbeddingFor(text)).vector]);
        }
        return vectors;
      })
      .catch((err: unknown) => {
        if (err instanceof ModelError || (err instanceof Error && err.name === "AbortError")) throw err;
        throw new ModelError("http", `The embedded embedding model '${this.model}' failed: ${err instanceof Error ? err.message : String(err)}`);
      });
  }
}
