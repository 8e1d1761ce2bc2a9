/**
 * The model server behind every chat and embedding call, chosen by LLM_BACKEND: Ollama (the default) or any
 * OpenAI-compatible server (vLLM, llama-server, LM Studio…). Runs, responses, chat completions, embeddings and
 * vector stores see only the ChatModel and Embedder interfaces; what differs lives here.
 */
import type { Config } from "../config.js";
import type { ChatModel, Embedder } from "./chat-model.js";
import type { ModelObject } from "./model-list.js";
import { OllamaChatModel } from "./ollama-chat.js";
import { clientFor } from "./ollama-client.js";
import { OllamaEmbedder } from "./ollama-embedder.js";
import { probeOllama } from "./ollama-probe.js";
import { OpenAiChatModel, servedModels, type OpenAiServerOptions } from "./openai-chat.js";
import { OpenAiEmbedder } from "./openai-embedder.js";
import { toModelError } from "./openai-errors.js";

export interface LlmBackend {
  readonly kind: "ollama" | "openai";
  readonly chat: ChatModel;
  /** A new embedder for a model (callers keep one per model). */
  embedder(model: string): Embedder;
  /** The models the server has (GET /v1/models lists them); empty when it does not answer in time. */
  served(): Promise<ModelObject[]>;
  /** What `/health` shows of the server, under the backend's name; never throws. */
  probe(timeoutMs: number): Promise<Record<string, unknown>>;
}

export function createBackend(config: Pick<Config, "llm" | "ollama">): LlmBackend {
  const { timeoutMs } = config.ollama;
  if (config.llm.backend === "openai") {
    const server: OpenAiServerOptions = { baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, timeoutMs };
    return {
      kind: "openai",
      chat: new OpenAiChatModel(server),
      embedder: (model) => new OpenAiEmbedder(server, model),
      served: async () => {
        const models = await servedModels(server, AbortSignal.timeout(2000)).catch(() => []);
        return models.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: m.owned_by }));
      },
      probe: async (ms) => {
        try {
          const models = await servedModels(server, AbortSignal.timeout(ms));
          return { openai: { url: server.baseUrl, reachable: true, models: models.map((m) => m.id) } };
        } catch (err) {
          return { openai: { url: server.baseUrl, reachable: false, models: [], error: toModelError(err, { baseUrl: server.baseUrl, phase: "request" }).message } };
        }
      },
    };
  }
  const host = config.ollama.host;
  return {
    kind: "ollama",
    chat: new OllamaChatModel({ host, timeoutMs }),
    embedder: (model) => new OllamaEmbedder({ host, model, timeoutMs }),
    served: async () => {
      try {
        const { models } = await clientFor(host, AbortSignal.timeout(2000)).list();
        return models.map((m) => ({ id: m.name, object: "model", created: Math.floor(new Date(m.modified_at).getTime() / 1000) || 0, owned_by: "ollama" }));
      } catch {
        return []; // Ollama down or slow: the names this server defines still answer
      }
    },
    probe: async (ms) => ({ ollama: await probeOllama(host, ms) }),
  };
}
