/**
 * ChatModel over any OpenAI-compatible server (`LLM_BACKEND=openai`): vLLM, llama.cpp's llama-server, LM Studio…,
 * through the `openai` client — streamed `chat.completion.chunk`s with tool-call deltas put together by index,
 * `reasoning_content` (vLLM's reasoning parsers) as thinking, usage from the last chunk.
 */
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { CallLifetime } from "./call-lifetime.js";
import { rememberSuccesses } from "./memo.js";
import { ModelError, type ChatChunk, type ChatMessage, type ChatModel, type ChatRequest, type ModelDetails } from "./chat-model.js";
import { notServed, timedOut, toModelError, type OpenAiCallContext } from "./openai-errors.js";

export interface OpenAiServerOptions {
  /** LLM_BASE_URL, e.g. `http://gpu-box:8000/v1`. */
  baseUrl: string;
  /** LLM_API_KEY; servers without keys take any. */
  apiKey: string | null;
  /** Longest wait, in ms, for the reply to start and then between two chunks. Default 120000. */
  timeoutMs?: number;
}

/**
 * The client for a server, one per server: each call passes its lifetime's signal. Everything it would read from
 * the environment (a developer's hosted-API organization and project, OPENAI_LOG) is set here instead: this
 * server's configuration comes from config.ts alone, and none of that may reach another server.
 */
export function openAiClient(opts: OpenAiServerOptions): OpenAI {
  return new OpenAI({
    baseURL: opts.baseUrl,
    apiKey: opts.apiKey ?? "none",
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: "off",
    maxRetries: 0,
    // Our lifetime's inactivity timer bounds the call; the client's own timeout would cap a long reply.
    timeout: 24 * 60 * 60 * 1000,
  });
}

/** The ids a server lists at `GET /models`, with vLLM's `max_model_len` where it reports one. */
export async function servedModels(client: OpenAI, signal: AbortSignal): Promise<Array<{ id: string; created: number; owned_by: string; max_model_len?: number }>> {
  const page = await client.models.list({ signal });
  return page.data as Array<{ id: string; created: number; owned_by: string; max_model_len?: number }>;
}

export class OpenAiChatModel implements ChatModel {
  private readonly timeoutMs: number;
  private readonly client: OpenAI;
  private readonly lookUp = rememberSuccesses((model) => this.fetchDetails(model));

  constructor(private readonly opts: OpenAiServerOptions) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.client = openAiClient(opts);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    const call = new CallLifetime(this.timeoutMs, signal);
    const ctx = (phase: OpenAiCallContext["phase"]): OpenAiCallContext => ({ baseUrl: this.opts.baseUrl, model: req.model, phase });
    const fail = (err: unknown, phase: OpenAiCallContext["phase"], doing: string) => call.failureOf(err, () => timedOut(this.timeoutMs, doing), (e) => toModelError(e, ctx(phase)));
    const calls = new Map<number, { name: string; args: string }>();
    let done: Extract<ChatChunk, { type: "done" }> = { type: "done", done_reason: "stop", prompt_tokens: 0, completion_tokens: 0 };
    try {
      call.kick();
      let stream: AsyncIterator<ChatCompletionChunk>;
      try {
        stream = (await this.client.chat.completions.create(toOpenAiRequest(req), { signal: call.signal }))[Symbol.asyncIterator]();
      } catch (err) {
        throw fail(err, "request", "waiting for the reply to start");
      }
      for (;;) {
        let next: IteratorResult<ChatCompletionChunk>;
        try {
          next = await stream.next();
        } catch (err) {
          throw fail(err, "stream", "streaming the reply");
        }
        call.pause();
        if (next.done) break;
        const chunk = next.value;
        if (chunk.usage) done = { ...done, prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta as ChatCompletionChunk.Choice.Delta & { reasoning_content?: string | null; reasoning?: string | null };
          const thinking = delta.reasoning_content ?? delta.reasoning;
          if (thinking) yield { type: "thinking", text: thinking };
          if (delta.content) yield { type: "text", text: delta.content };
          for (const part of delta.tool_calls ?? []) {
            const sofar = calls.get(part.index) ?? { name: "", args: "" };
            calls.set(part.index, { name: sofar.name + (part.function?.name ?? ""), args: sofar.args + (part.function?.arguments ?? "") });
          }
          if (choice.finish_reason) done = { ...done, done_reason: choice.finish_reason === "length" ? "length" : "stop" };
        }
        call.kick();
      }
    } finally {
      call.dispose();
    }
    for (const [, c] of [...calls].sort(([a], [b]) => a - b)) yield { type: "tool_call", call: { name: c.name, arguments: parseCallArguments(c.name, c.args) } };
    yield done;
  }

  /**
   * What the server says of a model: whether it serves it (`GET /models`), and its context length where it
   * reports one (vLLM's `max_model_len`). OpenAI-compatible servers report no capabilities: tools are sent
   * natively, images are named in text, and no `think` is asked for.
   */
  details(model: string): Promise<ModelDetails> {
    return this.lookUp(model);
  }

  private async fetchDetails(model: string): Promise<ModelDetails> {
    const call = new CallLifetime(this.timeoutMs);
    try {
      call.kick();
      const served = await servedModels(this.client, call.signal);
      const entry = served.find((m) => m.id === model);
      if (!entry) throw notServed(model, this.opts.baseUrl, served.map((m) => m.id));
      return typeof entry.max_model_len === "number"
        ? { context_length: entry.max_model_len, capabilities: [], family: null, fixed_context: true, takes_reasoning_effort: true }
        : { context_length: null, capabilities: [], family: null, takes_reasoning_effort: true };
    } catch (err) {
      if (err instanceof ModelError) throw err;
      // A server without `GET /models` still chats: plan with the manifest's sizes.
      if (err instanceof OpenAI.NotFoundError) return { context_length: null, capabilities: [], family: null, takes_reasoning_effort: true };
      throw call.failureOf(err, () => timedOut(this.timeoutMs, "listing models"), (e) => toModelError(e, { baseUrl: this.opts.baseUrl, phase: "request" }));
    } finally {
      call.dispose();
    }
  }
}

/** Our request in the chat completions wire form; options the server does not take (num_ctx) are left out. */
function toOpenAiRequest(req: ChatRequest): ChatCompletionCreateParamsStreaming {
  const o = req.options ?? {};
  const format = req.format === undefined ? undefined
    : req.format === "json" ? { type: "json_object" as const }
    : { type: "json_schema" as const, json_schema: { name: "response", schema: req.format, strict: true } };
  return {
    model: req.model,
    messages: toOpenAiMessages(req.messages),
    stream: true,
    stream_options: { include_usage: true },
    ...(req.tools?.length ? { tools: req.tools.map((t) => ({ type: "function" as const, function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } })) } : {}),
    ...(req.tools?.length && req.require_tool_call ? { tool_choice: "required" as const } : {}),
    ...(format ? { response_format: format } : {}),
    ...(typeof req.think === "string" ? { reasoning_effort: req.think } : {}),
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.top_p !== undefined ? { top_p: o.top_p } : {}),
    ...(o.presence_penalty !== undefined ? { presence_penalty: o.presence_penalty } : {}),
    ...(o.frequency_penalty !== undefined ? { frequency_penalty: o.frequency_penalty } : {}),
    ...(o.stop?.length ? { stop: o.stop } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    // max_tokens, not max_completion_tokens: every compatible server takes it.
    ...(o.num_predict !== undefined ? { max_tokens: o.num_predict } : {}),
  };
}

/**
 * The chat completions form pairs a tool result with its call's id. Calls keep the id the client gave them
 * (chat completions, Responses' call_id); calls replayed by this server get one here, and a result without an
 * id takes the earliest unanswered call of its tool (this server replays outputs in call order).
 */
function toOpenAiMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  const unanswered: Array<{ id: string; name: string }> = [];
  return messages.map((m, i): ChatCompletionMessageParam => {
    if (m.role === "assistant") {
      const calls = (m.tool_calls ?? []).map((c, j) => ({ id: c.id ?? `call_${i}_${j}`, type: "function" as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
      unanswered.push(...calls.map((c) => ({ id: c.id, name: c.function.name })));
      return { role: "assistant", content: m.content, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
    }
    if (m.role === "tool") {
      const at = m.tool_call_id !== undefined ? unanswered.findIndex((c) => c.id === m.tool_call_id) : unanswered.findIndex((c) => c.name === m.tool_name);
      const id = at >= 0 ? unanswered.splice(at, 1)[0]!.id : (m.tool_call_id ?? `call_${i}`);
      return { role: "tool", tool_call_id: id, content: m.content };
    }
    if (m.role === "user" && m.images?.length) {
      return { role: "user", content: [{ type: "text", text: m.content }, ...m.images.map((b64) => ({ type: "image_url" as const, image_url: { url: `data:${imageType(b64)};base64,${b64}` } }))] };
    }
    return { role: m.role, content: m.content };
  });
}

/** The image type from the first bytes of its base64 (the images handed over are PNG, JPEG, GIF or WebP). */
function imageType(b64: string): string {
  if (b64.startsWith("/9j/")) return "image/jpeg";
  if (b64.startsWith("R0lGOD")) return "image/gif";
  if (b64.startsWith("UklGR")) return "image/webp";
  return "image/png";
}

function parseCallArguments(name: string, args: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ModelError("stream", `The model called '${name}' with arguments that are not a JSON object: ${args.slice(0, 200)}`);
}
