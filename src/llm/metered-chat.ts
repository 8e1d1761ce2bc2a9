/** A ChatModel that counts its calls (latency by model and outcome, tokens the model reported) in the metrics. */
import type { MetricsSink } from "../metrics.js";
import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "./chat-model.js";

export class MeteredChatModel implements ChatModel {
  constructor(
    private readonly inner: ChatModel,
    private readonly metrics: Pick<MetricsSink, "modelSeconds" | "modelTokens">,
  ) {}

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    const started = performance.now();
    // "stopped" unless it ends otherwise: the caller left before the end (a stop sequence, a cancel).
    let outcome = "stopped";
    try {
      for await (const chunk of this.inner.chat(req, signal)) {
        if (chunk.type === "done") {
          this.metrics.modelTokens.inc({ model: req.model, kind: "prompt" }, chunk.prompt_tokens);
          this.metrics.modelTokens.inc({ model: req.model, kind: "completion" }, chunk.completion_tokens);
        }
        yield chunk;
      }
      outcome = "ok";
    } catch (err) {
      outcome = signal?.aborted ? "cancelled" : "error";
      throw err;
    } finally {
      this.metrics.modelSeconds.observe({ model: req.model, outcome }, (performance.now() - started) / 1000);
    }
  }

  details(model: string): Promise<ModelDetails> {
    return this.inner.details(model);
  }
}
