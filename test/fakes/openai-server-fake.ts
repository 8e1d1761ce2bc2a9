/**
 * A scriptable stand-in for an OpenAI-compatible model server (vLLM's `vllm serve`, llama.cpp's llama-server,
 * LM Studio), speaking the chat completions protocol as vLLM does: `GET /v1/models` with `max_model_len`,
 * streamed `chat.completion.chunk`s (`data:` lines ending `data: [DONE]`) with the role first, content pieces,
 * `reasoning_content` pieces (vLLM's reasoning parsers), tool calls as deltas by index (id, type and name first,
 * then the arguments in fragments), a `finish_reason` chunk and, with `stream_options.include_usage`, a usage
 * chunk with empty choices; `POST /v1/embeddings`; errors as `{"error": {message, type, param, code}}`, 404 for
 * a model it does not serve, and `data: {"error": ...}` in the middle of a stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hashEmbedding } from "./hash-embedding.js";

export interface OpenAiFakeStep {
  /** Reply text, streamed word by word unless `chunks` is given. */
  text?: string;
  chunks?: string[];
  /** Streamed as `reasoning_content` before the text. */
  reasoning?: string;
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  /** `length` as vLLM sends when max_tokens cut the reply. Default `stop` (`tool_calls` with calls). */
  finishReason?: "stop" | "length";
  /** After the chunks, a `data: {"error": ...}` line and the end of the stream. */
  errorMidStream?: string;
  /** Answer with this status and an error body instead of a reply. */
  status?: number;
  delayMs?: number;
}

export interface OpenAiServerFake {
  /** The base URL clients are given, ending in `/v1`. */
  readonly url: string;
  script(...steps: OpenAiFakeStep[]): void;
  readonly chatRequests: any[];
  readonly embedRequests: any[];
  /** Authorization headers received, in order. */
  readonly authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

export async function startOpenAiServerFake(opts: { chatModels: Array<{ id: string; maxModelLen?: number }>; embeddingModels?: string[]; embeddingDims?: number; apiKey?: string }): Promise<OpenAiServerFake> {
  const queue: OpenAiFakeStep[] = [];
  const chatRequests: any[] = [];
  const embedRequests: any[] = [];
  const authorizations: Array<string | undefined> = [];
  const chatIds = new Set(opts.chatModels.map((m) => m.id));
  const embeddingIds = new Set(opts.embeddingModels ?? []);
  const dims = opts.embeddingDims ?? 64;

  const server = createServer((req, res) => {
    void readJson(req).then(async (body) => {
      authorizations.push(req.headers.authorization);
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        return sendError(res, 401, "Unauthorized", "invalid_request_error");
      }
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/v1/models") {
        const data = [
          ...opts.chatModels.map((m) => ({ id: m.id, object: "model", created: 1_733_000_000, owned_by: "vllm", root: m.id, parent: null, max_model_len: m.maxModelLen ?? 32768 })),
          ...[...embeddingIds].map((id) => ({ id, object: "model", created: 1_733_000_000, owned_by: "vllm", root: id, parent: null, max_model_len: 512 })),
        ];
        return sendJson(res, 200, { object: "list", data });
      }
      if (req.method === "POST" && path === "/v1/embeddings") {
        embedRequests.push(body);
        if (!embeddingIds.has(body?.model)) return sendError(res, 404, `The model \`${body?.model}\` does not exist.`, "NotFoundError");
        const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
        const data = inputs.map((text, index) => ({ object: "embedding", index, embedding: hashEmbedding(String(text), dims) }));
        return sendJson(res, 200, { object: "list", model: body.model, data, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
      }
      if (req.method === "POST" && path === "/v1/chat/completions") {
        chatRequests.push(body);
        if (!chatIds.has(body?.model)) return sendError(res, 404, `The model \`${body?.model}\` does not exist.`, "NotFoundError");
        const step = queue.shift() ?? { text: `echo: ${lastUserText(body)}` };
        if (step.status !== undefined) return sendError(res, step.status, "scripted failure", "InternalServerError");
        return streamChat(res, body, step);
      }
      sendError(res, 404, `Not Found: ${path}`, "NotFoundError");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    script: (...steps) => void queue.push(...steps),
    chatRequests,
    embedRequests,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function streamChat(res: ServerResponse, body: any, step: OpenAiFakeStep): Promise<void> {
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id, object: "chat.completion.chunk", created: 1_733_000_000, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const send = async (value: unknown) => {
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (!res.destroyed) res.write(`data: ${JSON.stringify(value)}\n\n`);
  };
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  await send(chunk({ role: "assistant", content: "" }));
  const reasoning = words(step.reasoning ?? "");
  for (const piece of reasoning) await send(chunk({ reasoning_content: piece }));
  const pieces = step.chunks ?? words(step.text ?? "");
  for (const piece of pieces) await send(chunk({ content: piece }));
  if (step.errorMidStream !== undefined) {
    await send({ error: { message: step.errorMidStream, type: "InternalServerError", param: null, code: 500 } });
    return void res.end();
  }
  for (const [index, call] of (step.toolCalls ?? []).entries()) {
    const args = JSON.stringify(call.arguments);
    await send(chunk({ tool_calls: [{ index, id: `chatcmpl-tool-${index}`, type: "function", function: { name: call.name, arguments: "" } }] }));
    // The arguments in fragments, as a model streams them.
    for (let at = 0; at < args.length; at += 7) await send(chunk({ tool_calls: [{ index, function: { arguments: args.slice(at, at + 7) } }] }));
  }
  const finish = step.toolCalls?.length ? "tool_calls" : (step.finishReason ?? "stop");
  await send(chunk({}, finish));
  if (body.stream_options?.include_usage) {
    const completion = reasoning.length + pieces.length + (step.toolCalls?.length ?? 0);
    const prompt = JSON.stringify(body.messages).length >> 2;
    await send({ id, object: "chat.completion.chunk", created: 1_733_000_000, model: body.model, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });
  }
  res.end("data: [DONE]\n\n");
}

function words(text: string): string[] {
  return text === "" ? [] : (text.match(/\s*\S+/g) ?? []);
}

function lastUserText(body: any): string {
  const user = [...(body?.messages ?? [])].reverse().find((m: any) => m.role === "user");
  return typeof user?.content === "string" ? user.content : "";
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, param: null, code: status } });
}

async function readJson(req: IncomingMessage): Promise<any> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
