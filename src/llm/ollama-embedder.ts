/** Embedder over Ollama's `/api/embed`, sending inputs in batches. */
import { ModelError, type Embedder } from "./chat-model.js";
import { inBatches } from "./memo.js";
import { CallScope } from "./ollama-client.js";

export interface OllamaEmbedderOptions {
  /** Ollama's base URL (the configured OLLAMA_HOST). */
  host: string;
  /** The embedding model's Ollama tag, e.g. `nomic-embed-text`. */
  model: string;
  /** Inputs per `/api/embed` request. Bounds request size and lets cancellation act between batches. Default 64. */
  batchSize?: number;
  /** Longest wait for one batch, in ms; the first batch may include loading the model. Default 120000. */
  timeoutMs?: number;
}

export class OllamaEmbedder implements Embedder {
  readonly model: string;
  private readonly host: string;
  private readonly batchSize: number;
  private readonly timeoutMs: number;

  constructor(opts: OllamaEmbedderOptions) {
    const batchSize = opts.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.host = opts.host;
    this.model = opts.model;
    this.batchSize = batchSize;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /**
   * One vector per text, in input order. Batches run one after another: Ollama computes one batch at a
   * time per model anyway, and sequential requests keep memory flat on large ingests.
   * Throws ModelError, or an error named `AbortError` when `signal` fires.
   */
  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    return inBatches(texts, this.batchSize, (batch) => this.embedBatch(batch, signal));
  }

  private async embedBatch(batch: string[], signal?: AbortSignal): Promise<number[][]> {
    const scope = new CallScope(this.host, this.timeoutMs, signal);
    try {
      scope.kick();
      const { embeddings } = await scope.client.embed({ model: this.model, input: batch });
      if (!Array.isArray(embeddings) || embeddings.length !== batch.length) {
        throw new ModelError(
          "http",
          `Ollama returned ${Array.isArray(embeddings) ? embeddings.length : "no"} embeddings for ` +
            `${batch.length} inputs with '${this.model}': check that it is an embedding model.`,
        );
      }
      return embeddings;
    } catch (err) {
      throw scope.failure(err, { host: this.host, model: this.model, phase: "request" }, "computing embeddings");
    } finally {
      scope.dispose();
    }
  }
}
