import type { ChatCompletionCreateParams, ChatMessageParam } from "../api/chat.js";
import type { AssistantTool, ToolChoice } from "../api/wire.js";
import { ApiError, badRequest } from "../errors.js";
import { newId } from "../ids.js";
import { AsyncQueue } from "../concurrency/async-queue.js";
import { ModelError, type ChatMessage, type ChatModel, type ChatRequest, type ModelToolCall } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import { thinkFor } from "../llm/thinking.js";
import { streamChatTurn, type ChatTurn } from "../runs/chat-turn.js";
import { fromDataUrl, imageBase64, imageName } from "../runs/images.js";
import { tokenCounter } from "../llm/token-count.js";
import { resolveModel } from "../runs/request-plan.js";
import { parseArguments, type Toolbox } from "../tools/toolbox.js";

export interface ChatCompletionsDeps {
  chat: ChatModel;
  models: ModelCatalog;
  tools: Toolbox;
  clock: () => number;
}

type FinishReason = "stop" | "length" | "tool_calls";
type WireToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };
type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number; completion_tokens_details?: { reasoning_tokens: number } };

/** One streamed chunk as the SSE writer sends it (no `event:` name: chat streams are bare `data:` lines). */
export type ChunkEvent = { event: ""; data: Record<string, unknown> };

/**
 * Chat completions over the same model layer as runs and responses: model names and context size
 * (resolveModel), one streamed model call with the JSON-text tool-call hold-back (streamChatTurn), tool
 * offering and tool_choice hints (Toolbox), reasoning effort (thinkFor). Stateless: nothing is stored.
 */
export class ChatCompletions {
  constructor(private readonly deps: ChatCompletionsDeps) {}

  async create(p: ChatCompletionCreateParams): Promise<Record<string, unknown>> {
    const { request, parallel } = await this.request(p);
    const turn = await streamChatTurn(this.deps.chat, request, new AbortController().signal, () => undefined).catch(asApiError);
    const calls = toolCalls(turn, parallel);
    return {
      id: newId("chatcmpl-"),
      object: "chat.completion",
      created: this.deps.clock(),
      model: p.model,
      choices: [{ index: 0, message: { role: "assistant", content: calls.length > 0 && turn.text === "" ? null : turn.text, refusal: null, annotations: [], ...(calls.length > 0 ? { tool_calls: calls } : {}), ...reasoningOf(turn) }, finish_reason: finishOf(turn, calls), logprobs: null }],
      usage: usageOf(turn),
      service_tier: "default",
    };
  }

  /**
   * The stream of `chat.completion.chunk`s: the role first, content as it comes, each tool call whole, the
   * finish reason, and with `stream_options.include_usage` a last chunk with the usage; a model failure on the
   * way is a last `{"error": ...}` chunk. Closing it (the client left) stops the model call: nobody else is
   * waiting for the answer.
   */
  async stream(p: ChatCompletionCreateParams): Promise<{ next(signal?: AbortSignal): Promise<IteratorResult<ChunkEvent, undefined>>; close(): void }> {
    const { request, parallel } = await this.request(p);
    const queue = new AsyncQueue<ChunkEvent>({ maxBuffered: 10_000 });
    const stop = new AbortController();
    const id = newId("chatcmpl-");
    const created = this.deps.clock();
    const withUsage = p.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], usage?: Usage): ChunkEvent => ({
      event: "",
      data: { id, object: "chat.completion.chunk", created, model: p.model, service_tier: "default", choices, ...(withUsage ? { usage: usage ?? null } : {}) },
    });
    const delta = (d: Record<string, unknown>, finish: FinishReason | null = null) => chunk([{ index: 0, delta: d, finish_reason: finish, logprobs: null }]);
    queue.push(delta({ role: "assistant", content: "", refusal: null }));
    const onThinking = (text: string) => void queue.push(delta({ reasoning_content: text }));
    void streamChatTurn(this.deps.chat, request, stop.signal, (text) => void queue.push(delta({ content: text })), onThinking)
      .then((turn) => {
        const calls = toolCalls(turn, parallel);
        calls.forEach((call, index) => queue.push(delta({ tool_calls: [{ index, ...call }] })));
        queue.push(delta({}, finishOf(turn, calls)));
        if (withUsage) queue.push(chunk([], usageOf(turn)));
        queue.close();
      })
      .catch((err: unknown) => {
        // The hosted API ends a broken chat stream with a `data: {"error": ...}` line; the SDK throws it as an APIError.
        const failure = err instanceof ModelError ? err.toApiError() : new ApiError(500, `The model call failed: ${err instanceof Error ? err.message : String(err)}`, "server_error");
        queue.push({ event: "", data: failure.toJSON() });
        queue.close();
      });
    return {
      next: (signal) => queue.next(signal),
      close: () => {
        stop.abort();
        queue.close();
      },
    };
  }

  private async request(p: ChatCompletionCreateParams): Promise<{ request: ChatRequest; parallel: boolean }> {
    const { tag, numCtx, details } = await resolveModel(p.model, this.deps).catch(asApiError);
    const tools: AssistantTool[] = (p.tools ?? []).map((t) => ({
      type: "function",
      function: { ...t.function, parameters: t.function.parameters ?? { type: "object", properties: {} }, strict: t.function.strict ?? null },
    }));
    const choice: ToolChoice = p.tool_choice ?? "auto";
    const wanted = typeof p.tool_choice === "object" ? p.tool_choice.function.name : null;
    if (wanted !== null && !(p.tools ?? []).some((t) => t.function.name === wanted)) {
      throw badRequest(`Tool choice '${wanted}' not found in 'tools' parameter.`, "tool_choice");
    }
    const offered = this.deps.tools.offered(tools, choice);
    const hint = offered.length > 0 ? this.deps.tools.hint(choice) : null;
    const vision = details.capabilities.includes("vision");
    const messages = [...toChatMessages(p.messages, vision), ...(hint ? [{ role: "system" as const, content: hint }] : [])];
    const think = thinkFor(p.reasoning_effort, details);
    const maxTokens = p.max_completion_tokens ?? p.max_tokens ?? null;
    // Sized as runs and responses size prompts: Ollama would cut a prompt longer than num_ctx without a word.
    const promptTokens = tokenCounter(details)(messages) + (offered.length > 0 ? Math.ceil(JSON.stringify(offered).length / 3) : 0);
    if (promptTokens + (maxTokens ?? 0) > numCtx) {
      const about = details.countTokens && offered.length === 0 ? "" : "about "; // exact only by the model's own tokenizer
      const asked = maxTokens === null ? `your messages resulted in ${about}${promptTokens} tokens` : `you requested ${about}${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion)`;
      throw new ApiError(400, `This model's maximum context length is ${numCtx} tokens. However, ${asked}. Please reduce the length of the messages${maxTokens === null ? "" : " or completion"}.`, "invalid_request_error", "messages", "context_length_exceeded");
    }
    const stop = typeof p.stop === "string" ? [p.stop] : (p.stop ?? []);
    const format = p.response_format && typeof p.response_format === "object" && p.response_format.type !== "text"
      ? (p.response_format.type === "json_object" ? "json" : (p.response_format.json_schema.schema ?? "json"))
      : undefined;
    return {
      parallel: p.parallel_tool_calls ?? true,
      request: {
        model: tag,
        messages,
        ...(offered.length > 0 ? { tools: offered, ...(this.deps.tools.mustCall(choice) ? { require_tool_call: true } : {}) } : {}),
        ...(format !== undefined ? { format } : {}),
        ...(think !== undefined ? { think } : {}),
        options: {
          num_ctx: numCtx,
          ...(p.temperature != null ? { temperature: p.temperature } : {}),
          ...(p.top_p != null ? { top_p: p.top_p } : {}),
          ...(p.presence_penalty != null ? { presence_penalty: p.presence_penalty } : {}),
          ...(p.frequency_penalty != null ? { frequency_penalty: p.frequency_penalty } : {}),
          ...(maxTokens !== null ? { num_predict: maxTokens } : {}),
          ...(stop.length > 0 ? { stop } : {}),
          ...(p.seed != null ? { seed: p.seed } : {}),
        },
      },
    };
  }
}

/**
 * The messages as Ollama takes them: developer is system, a tool result is named by the call it answers, an
 * assistant's tool calls carry parsed arguments. Images: data: URLs go to a vision model as images; other
 * images are named in the text (nothing is fetched: the server works offline).
 */
function toChatMessages(messages: readonly ChatMessageParam[], vision: boolean): ChatMessage[] {
  const callNames = new Map<string, string>();
  return messages.map((m, i): ChatMessage => {
    if (m.role === "tool") {
      const name = callNames.get(m.tool_call_id);
      if (name === undefined) throw badRequest(`Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (no call '${m.tool_call_id}').`, `messages[${i}].tool_call_id`);
      return { role: "tool", tool_name: name, content: textOf(m.content), tool_call_id: m.tool_call_id };
    }
    if (m.role === "assistant") {
      for (const call of m.tool_calls ?? []) callNames.set(call.id, call.function.name);
      const calls: ModelToolCall[] = (m.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: parseArguments(c.function.arguments), id: c.id }));
      return { role: "assistant", content: m.content == null ? "" : textOf(m.content), ...(calls.length > 0 ? { tool_calls: calls } : {}) };
    }
    if (m.role !== "user") return { role: "system", content: textOf(m.content) };
    if (typeof m.content === "string") return { role: "user", content: m.content };
    const images: string[] = [];
    const text = m.content
      .map((part) => {
        if (part.type === "text") return part.text;
        // The same checks as runs: a data: URL of an image type, within the size cap; anything else is named.
        const bytes = vision ? fromDataUrl(part.image_url.url) : null;
        const image = bytes ? imageBase64(bytes) : null;
        if (image) return void images.push(image);
        return imageName({ url: part.image_url.url });
      })
      .filter((t): t is string => typeof t === "string")
      .join("\n");
    return images.length > 0 ? { role: "user", content: text, images } : { role: "user", content: text };
  });
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

function toolCalls(turn: ChatTurn, parallel: boolean): WireToolCall[] {
  return (parallel ? turn.toolCalls : turn.toolCalls.slice(0, 1)).map((c) => ({ id: newId("call_"), type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
}

function finishOf(turn: ChatTurn, calls: readonly WireToolCall[]): FinishReason {
  if (calls.length > 0) return "tool_calls";
  return turn.doneReason === "length" ? "length" : "stop";
}

function usageOf(turn: ChatTurn): Usage {
  return {
    prompt_tokens: turn.promptTokens,
    completion_tokens: turn.completionTokens,
    total_tokens: turn.promptTokens + turn.completionTokens,
    ...(turn.thinkingTokens > 0 ? { completion_tokens_details: { reasoning_tokens: turn.thinkingTokens } } : {}),
  };
}

/**
 * The reasoning of a model that thinks, as `reasoning_content` beside the content (the field vLLM and DeepSeek's
 * API use, which the SDK passes through and other clients ignore); never part of the content itself.
 */
function reasoningOf(turn: ChatTurn): { reasoning_content?: string } {
  return turn.thinking !== "" ? { reasoning_content: turn.thinking } : {};
}

function asApiError(err: unknown): never {
  throw err instanceof ModelError ? err.toApiError() : err;
}
