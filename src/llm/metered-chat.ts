/** A ChatModel that counts its calls (latency by model and outcome, tokens the model reported) in the metrics. */
import type { MetricsSink } from "../metrics.js";
import type { ChatChunk, ChatModel, ChatRequest, ModelDetails } from "./chat-model.js";

/** Distinct model labels kept; further names (any string a request may carry) count as "other". */
const MAX_MODEL_LABELS = 64;

export class MeteredChatModel implements ChatModel {
  private readonly labels = new Set<string>();

  constructor(
    private readonly inner: ChatModel,
    private readonly metrics: Pick<MetricsSink, "modelSeconds" | "modelTokens">,
  ) {}

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    const started = performance.now();
    const model = this.label(req.model);
    // "stopped" unless it ends otherwise: the caller left before the end (a stop sequence, a cancel).
    let outcome = "stopped";
    try {
      for await (const chunk of this.inner.chat(req, signal)) {
        if (chunk.type === "done") {
          this.metrics.modelTokens.inc({ model, kind: "prompt" }, chunk.prompt_tokens);
          this.metrics.modelTokens.inc({ model, kind: "completion" }, chunk.completion_tokens);
        }
        yield chunk;
      }
      outcome = "ok";
    } catch (err) {
      outcome = signal?.aborted ? "cancelled" : "error";
      throw err;
    } finally {
      this.metrics.modelSeconds.observe({ model, outcome }, (performance.now() - started) / 1000);
    }
  }

  /** The metric label of a model name: itself, until MAX_MODEL_LABELS names were seen. */
  private label(model: string): string {
    if (this.labels.has(model)) return model;
    if (this.labels.size >= MAX_MODEL_LABELS) return "other";
    this.labels.add(model);
    return model;
  }

  details(model: string): Promise<ModelDetails> {
    return this.inner.details(model);
  }
}
