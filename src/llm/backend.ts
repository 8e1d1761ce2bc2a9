/**
 * The model server behind every chat and embedding call, chosen by LLM_BACKEND: Ollama (the default) or any
 * OpenAI-compatible server (vLLM, llama-server, LM Studio…). Runs, responses, chat completions, embeddings and
 * vector stores see only the ChatModel and Embedder interfaces; what differs lives here.
 */
import fs from "node:fs";
import path from "node:path";
import type { Config, EmbeddedConfig } from "../config.js";
import { EmbeddedChatModel } from "./embedded/embedded-chat.js";
import { EmbeddedEmbedder } from "./embedded/embedded-embedder.js";
import { LlamaRuntime } from "./embedded/llama-runtime.js";
import { isGgufName, ModelFiles, notRequestable, requestable } from "./embedded/model-files.js";
import { ModelError, type ChatModel, type Embedder } from "./chat-model.js";
import type { ModelObject } from "./model-list.js";
import { OllamaChatModel } from "./ollama-chat.js";
import { clientFor } from "./ollama-client.js";
import { OllamaEmbedder } from "./ollama-embedder.js";
import { probeOllama } from "./ollama-probe.js";
import { OllamaHosts } from "./ollama-hosts.js";
import { AutoChatModel, autoEmbedder, EngineChoice, type OllamaSeen } from "./auto-engine.js";
import type { GgufOf } from "./model-catalog.js";
import type { OpenAiServerOptions } from "./openai-chat.js";

export interface LlmBackend {
  readonly kind: "ollama" | "openai" | "embedded" | "auto";
  readonly chat: ChatModel;
  /** A new embedder for a model (callers keep one per model). */
  embedder(model: string): Embedder;
  /** The models the server has (GET /v1/models lists them); empty when it does not answer in time. */
  served(): Promise<ModelObject[]>;
  /** What `/health` shows of the server, under the backend's name; never throws. */
  probe(timeoutMs: number): Promise<Record<string, unknown>>;
  /**
   * The embedder vector stores use when the backend decides it, rather than the catalog's embedding model:
   * the embedded engine's EMBEDDED_EMBEDDING_MODEL, or null (BM25 alone) when none is set. Undefined: the
   * catalog's model on this backend.
   */
  readonly defaultEmbedder?: Embedder | null;
  /** Frees what the backend holds (the embedded engine's models). */
  close(): Promise<void>;
}

/** `ggufFor`: the GGUF the model manifest gives a tag (ModelCatalog.ggufFor); the embedded engine runs it for that tag. */
export async function createBackend(config: Pick<Config, "llm" | "ollama">, ggufFor: GgufOf = () => null): Promise<LlmBackend> {
  const { timeoutMs } = config.ollama;
  if (config.llm.backend === "embedded") return embeddedBackend(config.llm.embedded, ggufFor);
  if (config.llm.backend === "auto") return autoBackend(ollamaBackend(config.ollama), embeddedBackend(config.llm.embedded, ggufFor), config.ollama.host, ggufFor);
  if (config.llm.backend === "openai") {
    // Loaded only for this backend: the openai client is some 500 modules a server on Ollama never runs.
    const [{ OpenAiChatModel, openAiClient, servedModels }, { OpenAiEmbedder }, { toModelError }] = await Promise.all([
      import("./openai-chat.js"),
      import("./openai-embedder.js"),
      import("./openai-errors.js"),
    ]);
    const server: OpenAiServerOptions = { baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, timeoutMs };
    const client = openAiClient(server);
    return {
      kind: "openai",
      chat: new OpenAiChatModel(server),
      embedder: (model) => new OpenAiEmbedder(server, model),
      served: async () => {
        const models = await servedModels(client, AbortSignal.timeout(2000)).catch(() => []);
        return models.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: m.owned_by }));
      },
      close: async () => undefined,
      probe: async (ms) => {
        try {
          const models = await servedModels(client, AbortSignal.timeout(ms));
          return { openai: { url: server.baseUrl, reachable: true, models: models.map((m) => m.id) } };
        } catch (err) {
          return { openai: { url: server.baseUrl, reachable: false, models: [], error: toModelError(err, { baseUrl: server.baseUrl, phase: "request" }).message } };
        }
      },
    };
  }
  return ollamaBackend(config.ollama);
}

function ollamaBackend(config: Config["ollama"]): LlmBackend {
  const { host, timeoutMs } = config;
  if (config.hosts.length > 1) return ollamaHostsBackend(new OllamaHosts(config.hosts, timeoutMs));
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
    close: async () => undefined,
  };
}

/** OLLAMA_HOSTS: calls spread over several Ollama servers (llm/ollama-hosts.ts); /health shows each. */
function ollamaHostsBackend(pool: OllamaHosts): LlmBackend {
  return {
    kind: "ollama",
    chat: pool,
    embedder: (model) => pool.embedder(model),
    served: async () => (await pool.served()).map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: "ollama" })),
    probe: async (ms) => {
      const probes = await Promise.all(pool.urls.map(async (url) => ({ host: url, ...(await probeOllama(url, ms)) })));
      return { ollama: { reachable: probes.some((p) => p.reachable), models: [...new Set(probes.flatMap((p) => p.models))], hosts: probes } };
    },
    close: async () => undefined,
  };
}

/**
 * GGUF models in this process. A chat name runs the GGUF the manifest gives it, a `.gguf` file name that file,
 * and any other name EMBEDDED_CHAT_MODEL; vector stores embed with EMBEDDED_EMBEDDING_MODEL, or search with
 * BM25 alone when it is not set. llama.cpp's native library is loaded by the first call, not at boot.
 */
function embeddedBackend(config: EmbeddedConfig, ggufFor: GgufOf): LlmBackend {
  const runtime = new LlamaRuntime({ threads: config.threads, parallel: config.parallel, idleMs: config.idleMs });
  const files = new ModelFiles(config.modelsDir, config.downloadStallMs);
  const chat = new EmbeddedChatModel(runtime, files, config.chatModel, ggufFor);
  const embedder = (name: string) => new EmbeddedEmbedder(runtime, name, files);
  // The manifest's GGUF for a tag is embedded under the tag's name (what a store records and callers asked for).
  const mappedEmbedder = (tag: string, gguf: string): Embedder => {
    const inner = embedder(gguf);
    return { model: tag, embed: (texts, signal) => inner.embed(texts, signal) };
  };
  const ggufFiles = () => (fs.existsSync(config.modelsDir) ? fs.readdirSync(config.modelsDir).filter((f) => /\.gguf$/i.test(f)).sort() : []);
  return {
    kind: "embedded",
    chat,
    // A GGUF the request (or a vector store's record) may name; any other name is no model of this engine.
    embedder: (model) => {
      const gguf = ggufFor(model);
      if (gguf !== null) return gguf === model ? embedder(model) : mappedEmbedder(model, gguf);
      return isGgufName(model) && requestable(model, [config.embeddingModel]) ? embedder(model) : unservedEmbedder(model, config.modelsDir);
    },
    served: async () => ggufFiles().map((id) => ({ id, object: "model", created: 0, owned_by: "local-assistants" })),
    probe: async () => {
      const chatFile = files.where(config.chatModel);
      const activity = runtime.activity();
      // What it can answer with: the chat model (wherever its file is) and the GGUF files in MODELS_DIR.
      const models = [...new Set([...(chatFile.present ? [path.basename(chatFile.file)] : []), ...ggufFiles()])];
      return {
        embedded: {
          // Ready to answer: the file is here, or it is a source the first call downloads.
          reachable: chatFile.present || chatFile.remote,
          models,
          chat_model: config.chatModel,
          embedding_model: config.embeddingModel,
          loaded: runtime.loaded().map((file) => path.basename(file)),
          // Replies under way, and calls queued behind them (EMBEDDED_PARALLEL at once per model).
          generating: activity.generating,
          waiting: activity.waiting,
          downloads: files.downloads(),
          threads: config.threads,
          ...(!chatFile.present && !chatFile.remote ? { error: `The chat model file ${chatFile.file} does not exist: put it in ${config.modelsDir} or set EMBEDDED_CHAT_MODEL.` } : {}),
        },
      };
    },
    defaultEmbedder: config.embeddingModel === null ? null : embedder(config.embeddingModel),
    close: () => runtime.close(),
  };
}

/**
 * LLM_BACKEND=auto (the default): Ollama when it answers, else the embedded engine, so `npm start` answers with
 * no Ollama installed. Chat decides per call (Ollama is looked at at most every 2 s), so starting or stopping
 * Ollama while the server runs is followed; a name the manifest maps to both an Ollama tag and a GGUF goes to
 * Ollama only while Ollama has the tag (llm/auto-engine.ts). What new vector stores embed with is decided once,
 * at boot; a store then always embeds with the model it recorded, so vectors of two models never meet in one
 * index.
 */
async function autoBackend(ollama: LlmBackend, embedded: LlmBackend, host: string, ggufFor: GgufOf): Promise<LlmBackend> {
  const seeOllama = ollamaWatch(host);
  const choice = new EngineChoice(seeOllama, ggufFor);
  const atBoot = (await seeOllama()).up;
  const chat = new AutoChatModel({ ollama: ollama.chat, embedded: embedded.chat }, choice);
  const embeddings = atBoot ? ollama : embedded;
  return {
    kind: "auto",
    chat,
    // By the name a store recorded, not by what answers now: a GGUF source is the embedded engine's; a tag the
    // manifest also gives a GGUF goes where EngineChoice says (the same model either way); any other tag is
    // Ollama's (when Ollama is down, that fails and search falls back to BM25; vectors never mix).
    embedder: (model) => isGgufName(model) ? embedded.embedder(model)
      : choice.hasGguf(model) ? autoEmbedder(model, { ollama: ollama.embedder(model), embedded: embedded.embedder(model) }, choice)
      : ollama.embedder(model),
    served: async () => ((await seeOllama()).up ? ollama : embedded).served(),
    probe: async (ms) => {
      const [o, e] = await Promise.all([ollama.probe(ms), embedded.probe(ms)]);
      const serving = (o.ollama as { reachable?: boolean } | undefined)?.reachable ? "ollama" : "embedded";
      return { serving, embeddings: embeddings.kind, ...o, ...e };
    },
    ...(embeddings.defaultEmbedder !== undefined ? { defaultEmbedder: embeddings.defaultEmbedder } : {}),
    close: () => embedded.close(),
  };
}

/**
 * Whether Ollama answers and what it has pulled, looked at at most every 2 s (concurrent askers share one probe).
 * A refusal (nothing listens) counts at once; one slow answer (Ollama busy loading a model) does not switch
 * engines: a server that answered before counts as down only after two probes in a row ran out of time, and
 * keeps the tags it last listed meanwhile.
 */
function ollamaWatch(host: string, ttlMs = 2000, probeMs = 1500): () => Promise<OllamaSeen> {
  let last: { at: number; answer: Promise<OllamaSeen> } | null = null;
  let seen: OllamaSeen = { up: false, models: [] };
  let slowMisses = 0;
  return () => {
    if (!last || Date.now() - last.at > ttlMs) {
      const started = Date.now();
      const answer = probeOllama(host, probeMs).then((p) => {
        const timedOut = !p.reachable && Date.now() - started >= probeMs - 50;
        slowMisses = p.reachable ? 0 : timedOut ? slowMisses + 1 : 2;
        const stillUp = seen.up && slowMisses < 2; // one slow probe of a server that answered before
        seen = p.reachable ? { up: true, models: p.models } : stillUp ? seen : { up: false, models: [] };
        return seen;
      });
      last = { at: Date.now(), answer };
    }
    return last.answer;
  };
}

/** An embedder for a name the embedded engine has no model for: every call says so. */
function unservedEmbedder(model: string, dir: string): Embedder {
  return {
    model,
    embed: async () => {
      throw isGgufName(model) ? notRequestable(model, dir) : new ModelError("model_not_found", `The embedded engine has no embedding model '${model}': set EMBEDDED_EMBEDDING_MODEL, or name a GGUF file in ${dir}.`);
    },
  };
}
