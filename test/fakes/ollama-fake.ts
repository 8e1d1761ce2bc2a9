/**
 * A scriptable stand-in for a local Ollama server, speaking its real HTTP protocol (docs/api.md):
 * NDJSON streaming on `/api/chat`, `{"error": ...}` bodies, 404 for unknown models, HTTP 200 plus an
 * error line for failures in the middle of a stream. Tests drive the real adapter against it over a
 * socket, so the client library's own parsing and error paths are exercised too.
 *
 * @example
 * const fake = await startOllamaFake({ models: ["llama3.2"] });
 * fake.script({ chunks: ["Hel", "lo"], delayMs: 20 }, { toolCalls: [{ name: "f", arguments: { x: 1 } }] });
 * // ...point the adapter at fake.url...
 * expect(fake.chatRequests[0]?.tools).toHaveLength(1);
 * await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hashEmbedding } from "./hash-embedding.js";
import { writeChat, type ChatBody, type ChatStep } from "./ollama-fake-chat.js";

export { hashEmbedding } from "./hash-embedding.js";
export type { ChatBody, ChatStep } from "./ollama-fake-chat.js";

/** One model the fake knows; a bare string means defaults (llama architecture, fake-wide context length). */
export type FakeModel =
  | string
  | {
      name: string;
      contextLength?: number;
      architecture?: string;
      /**
       * Omit to get the defaults; `null` mimics servers older than 0.6.4 that report no capabilities. Add
       * `"thinking"` for a model that thinks (architecture `gptoss` for gpt-oss, which thinks even with think=false).
       */
      capabilities?: string[] | null;
    };

export interface OllamaFakeOptions {
  /** Chat models (capabilities completion + tools). Default `["llama3.2"]`. */
  models?: FakeModel[];
  /** Embedding models (capability embedding). Default `["nomic-embed-text"]`. */
  embeddingModels?: FakeModel[];
  /** `<arch>.context_length` reported by `/api/show`. Default 131072. */
  contextLength?: number;
  /** Length of every embedding vector. Default 64. */
  embeddingDims?: number;
  /** What `/api/version` reports. Default "0.12.3". */
  version?: string;
  /** Wait this long before answering each `/api/embed` (a slow embedding model; ingestion stays in progress). */
  embedDelayMs?: number;
}

/** A reply step, or a function computing one from the request body (for replies that depend on the prompt). */
export type ChatScript = ChatStep | ((body: ChatBody) => ChatStep);

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body; `undefined` for GET or an unparsable body. */
  body: any;
}

export interface OllamaFake {
  /** Base URL, e.g. `http://127.0.0.1:43121`; pass it as the adapter's host. */
  readonly url: string;
  /** Queues replies for successive `/api/chat` calls; an empty queue echoes the last user message. */
  script(...steps: ChatScript[]): void;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  readonly chatRequests: ChatBody[];
  readonly embedRequests: Array<{ model: string; input: string | string[] }>;
  readonly showRequests: Array<{ model: string }>;
  /** Content chunks written on all chat streams so far (lets a test see what was sent when it got a chunk). */
  readonly chunksSent: number;
  /** `true`: stop listening and drop open connections, so clients get ECONNREFUSED; `false`: listen again. */
  setDown(down: boolean): Promise<void>;
  close(): Promise<void>;
}

interface KnownModel {
  name: string;
  kind: "chat" | "embedding";
  contextLength: number;
  architecture: string;
  capabilities: string[] | null;
}

/** Starts the fake on 127.0.0.1 with an OS-assigned port. */
export async function startOllamaFake(opts: OllamaFakeOptions = {}): Promise<OllamaFake> {
  const models = knownModels(opts);
  const dims = opts.embeddingDims ?? 64;
  const queue: ChatScript[] = [];
  const requests: RecordedRequest[] = [];
  const counter = { chunksSent: 0 };

  const server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      requests.push({ method: req.method ?? "GET", path, body });
      route({ req, res, path, body, models, dims, queue, counter, version: opts.version ?? "0.12.3", embedDelayMs: opts.embedDelayMs ?? 0 });
    });
  });
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const byPath = (p: string) => requests.filter((r) => r.path === p).map((r) => r.body);

  return {
    url: `http://127.0.0.1:${port}`,
    script: (...steps) => void queue.push(...steps),
    requests,
    get chatRequests() {
      return byPath("/api/chat");
    },
    get embedRequests() {
      return byPath("/api/embed");
    },
    get showRequests() {
      return byPath("/api/show");
    },
    get chunksSent() {
      return counter.chunksSent;
    },
    async setDown(down) {
      if (down && server.listening) await stop(server);
      if (!down && !server.listening) await listen(server, port);
    },
    async close() {
      if (server.listening) await stop(server);
    },
  };
}

interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: any;
  models: Map<string, KnownModel>;
  dims: number;
  queue: ChatScript[];
  counter: { chunksSent: number };
  version: string;
  embedDelayMs: number;
}

function route(ctx: RouteContext): void {
  const { req, res, path, body } = ctx;
  const key = `${req.method} ${path}`;
  if (key === "GET /api/version") return sendJson(res, 200, { version: ctx.version });
  if (key === "GET /api/tags") return sendJson(res, 200, { models: [...ctx.models.values()].map(tagEntry) });
  if (req.method !== "POST" || !["/api/chat", "/api/embed", "/api/show"].includes(path)) {
    // Ollama's router (gin) answers unknown paths with a plain-text 404.
    res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found");
    return;
  }
  if (body === undefined) return sendJson(res, 400, { error: "invalid JSON in request body" });
  if (!body.model) return sendJson(res, 400, { error: "model is required" });
  const model = ctx.models.get(canonical(String(body.model)));
  if (!model) return sendJson(res, 404, { error: `model "${body.model}" not found, try pulling it first` });
  if (path === "/api/show") return sendJson(res, 200, showBody(model));
  if (path === "/api/embed") {
    if (ctx.embedDelayMs > 0) return void setTimeout(() => !res.destroyed && sendEmbeddings(res, body, ctx.dims), ctx.embedDelayMs);
    return sendEmbeddings(res, body, ctx.dims);
  }
  if (model.kind !== "chat") return sendJson(res, 400, { error: `"${body.model}" does not support chat` });
  // Ollama refuses `think` for a model without the capability (false is always accepted).
  const think = body.think ?? null;
  if (think !== null && think !== false && !model.capabilities?.includes("thinking")) {
    return sendJson(res, 400, { error: `"${body.model}" does not support thinking` });
  }
  // Ollama refuses `tools` for a model whose template has none (servers that report no capabilities try anyway).
  if (Array.isArray(body.tools) && body.tools.length > 0 && model.capabilities && !model.capabilities.includes("tools")) {
    return sendJson(res, 400, { error: `registry.ollama.ai/library/${model.name} does not support tools` });
  }
  const next = ctx.queue.shift();
  const step = typeof next === "function" ? next(body) : next;
  // gpt-oss always thinks (it takes levels; true/false do not turn it off); others think unless think is false.
  const thinks = model.capabilities?.includes("thinking") === true && (think !== false || model.architecture === "gptoss");
  void writeChat(req, res, body as ChatBody, step, ctx.counter, thinks);
}

function sendEmbeddings(res: ServerResponse, body: any, dims: number): void {
  const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input ?? ""];
  const embeddings = inputs.map((text) => hashEmbedding(String(text), dims));
  const promptEvalCount = inputs.reduce<number>((n, t) => n + String(t).split(/\s+/).filter(Boolean).length, 0);
  sendJson(res, 200, {
    model: body.model,
    embeddings,
    total_duration: 14_143_917,
    load_duration: 1_019_500,
    prompt_eval_count: promptEvalCount,
  });
}

function showBody(m: KnownModel): Record<string, unknown> {
  return {
    modelfile: `# Modelfile generated by "ollama show"\nFROM ${m.name}\n`,
    parameters: 'stop                           "<|eot_id|>"',
    template: "{{ .Prompt }}",
    details: detailsOf(m),
    model_info: {
      "general.architecture": m.architecture,
      "general.parameter_count": 3_212_749_888,
      [`${m.architecture}.context_length`]: m.contextLength,
      [`${m.architecture}.embedding_length`]: 3072,
    },
    ...(m.capabilities ? { capabilities: m.capabilities } : {}),
    modified_at: "2025-01-01T00:00:00Z",
  };
}

function tagEntry(m: KnownModel): Record<string, unknown> {
  return {
    name: m.name,
    model: m.name,
    modified_at: "2025-01-01T00:00:00Z",
    size: 2_019_393_189,
    digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
    details: detailsOf(m),
  };
}

function detailsOf(m: KnownModel): Record<string, unknown> {
  return {
    parent_model: "",
    format: "gguf",
    family: m.architecture,
    families: [m.architecture],
    parameter_size: "3.2B",
    quantization_level: "Q4_K_M",
  };
}

function knownModels(opts: OllamaFakeOptions): Map<string, KnownModel> {
  const map = new Map<string, KnownModel>();
  const add = (spec: FakeModel, kind: KnownModel["kind"]) => {
    const s = typeof spec === "string" ? { name: spec } : spec;
    const defaults = kind === "chat" ? ["completion", "tools"] : ["embedding"];
    const name = canonical(s.name);
    map.set(name, {
      name,
      kind,
      contextLength: s.contextLength ?? opts.contextLength ?? 131_072,
      architecture: s.architecture ?? (kind === "chat" ? "llama" : "nomic-bert"),
      capabilities: s.capabilities === undefined ? defaults : s.capabilities,
    });
  };
  for (const m of opts.models ?? ["llama3.2"]) add(m, "chat");
  for (const m of opts.embeddingModels ?? ["nomic-embed-text"]) add(m, "embedding");
  return map;
}

/** Ollama treats `llama3.2` and `llama3.2:latest` as the same model. */
function canonical(name: string): string {
  return name.includes(":") ? name : `${name}:latest`;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(value));
}

async function readJson(req: IncomingMessage): Promise<any> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  if (text === "") return req.method === "GET" ? undefined : {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function stop(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Hanging and streaming replies keep sockets open; drop them so close() and setDown() finish now.
    server.closeAllConnections();
  });
}
