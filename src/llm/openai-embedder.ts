/** Embedder over an OpenAI-compatible server's `/embeddings` (`LLM_BACKEND=openai`), in batches. */
import type OpenAI from "openai";
import { CallLifetime } from "./call-lifetime.js";
import { inBatches } from "./memo.js";
import { ModelError, type Embedder } from "./chat-model.js";
import { openAiClient, type OpenAiServerOptions } from "./openai-chat.js";
import { timedOut, toModelError } from "./openai-errors.js";

export class OpenAiEmbedder implements Embedder {
  private readonly timeoutMs: number;
  private readonly client: OpenAI;

  constructor(
    private readonly opts: OpenAiServerOptions,
    readonly model: string,
    /** Inputs per request, as for Ollama: bounds request size and lets cancellation act between batches. */
    private readonly batchSize = 64,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.client = openAiClient(opts);
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    return inBatches(texts, this.batchSize, (batch) => this.embedBatch(batch, signal));
  }

  private async embedBatch(batch: string[], signal?: AbortSignal): Promise<number[][]> {
    const call = new CallLifetime(this.timeoutMs, signal);
    try {
      call.kick();
      const { data } = await this.client.embeddings.create({ model: this.model, input: batch, encoding_format: "float" }, { signal: call.signal });
      if (data.length !== batch.length) {
        throw new ModelError("http", `The model server returned ${data.length} embeddings for ${batch.length} inputs with '${this.model}': check that it is an embedding model.`);
      }
      return [...data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    } catch (err) {
      throw call.failureOf(err, () => timedOut(this.timeoutMs, "computing embeddings"), (e) => toModelError(e, { baseUrl: this.opts.baseUrl, model: this.model, phase: "request" }));
    } finally {
      call.dispose();
    }
  }
}
