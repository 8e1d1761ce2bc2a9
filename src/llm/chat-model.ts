import { ApiError } from "../errors.js";
/**
 * The provider-neutral chat interface the run executor talks to. The Ollama adapter implements it;
 * tests may also pass any object of this shape.
 */

/** One tool the model may call, in the JSON-schema form Ollama and OpenAI share. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** A tool call as the model produced it: arguments are already an object (Ollama's wire form). */
export interface ModelToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** The call's id where the client named it (chat completions, Responses' call_id): pairs it with its output. */
  id?: string;
}

export type ChatMessage =
  | { role: "system" | "user"; content: string; images?: string[] }
  | { role: "assistant"; content: string; tool_calls?: ModelToolCall[]; /** Its reasoning, given back to a model that thinks. */ thinking?: string }
  | { role: "tool"; content: string; tool_name: string; /** The call it answers, where known (see ModelToolCall.id). */ tool_call_id?: string };

export interface ChatRequest {
  /** The Ollama tag to run (already resolved from the public model name). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /**
   * The reply must be a call of one of `tools` (tool_choice required, or a named tool, already narrowed to it).
   * Ollama has no such switch (the prompt carries a hint); the embedded engine enforces it with a grammar.
   */
  require_tool_call?: boolean;
  /** Whether (or how hard, for models that take levels) the model thinks; absent: its default. See thinking.ts. */
  think?: Think;
  /** `"json"` for json_object, a JSON schema for json_schema, absent for text. */
  format?: "json" | Record<string, unknown>;
  options?: {
    temperature?: number;
    top_p?: number;
    presence_penalty?: number;
    frequency_penalty?: number;
    /** Sequences that end the reply (chat completions' `stop`). */
    stop?: string[];
    seed?: number;
    /** Maximum tokens to generate (OpenAI's max_completion_tokens). */
    num_predict?: number;
    /** Context window to allocate; set so Ollama never truncates silently. */
    num_ctx?: number;
  };
}

/** Ollama's `think`: on/off, or a level for models that take levels (gpt-oss). */
export type Think = boolean | "low" | "medium" | "high";

/**
 * What a streaming chat yields, in order: the model's reasoning (models that think), text and tool calls as
 * they come, then exactly one `done`. Reasoning is never part of the text.
 */
export type ChatChunk =
  | { type: "thinking"; text: string }
  | { type: "text"; text: string }
  | { type: "tool_call"; call: ModelToolCall }
  | {
      type: "done";
      /** `stop` for a natural end, `length` when num_predict/num_ctx cut the reply. */
      done_reason: "stop" | "length" | string;
      prompt_tokens: number;
      completion_tokens: number;
    };

export interface ModelDetails {
  /** The model's trained context length from `/api/show` (model_info `<arch>.context_length`). */
  context_length: number | null;
  /** Ollama's `capabilities` list, e.g. `["completion","tools"]`; empty on servers that do not report it. */
  capabilities: string[];
  /** The model's architecture (model_info `general.architecture`, e.g. `gptoss`, `qwen3`); null when not reported. */
  family: string | null;
  /**
   * True when `context_length` is a window the server has already allocated (vLLM's `max_model_len`): plan for
   * all of it. Absent: asking for a window costs memory (Ollama's num_ctx), so unlisted models are capped.
   */
  fixed_context?: boolean;
  /** True when the server takes OpenAI's `reasoning_effort` itself (OpenAI-compatible servers): levels pass through. */
  takes_reasoning_effort?: boolean;
  /**
   * The tokens a prompt of these messages takes, by the model's own tokenizer and chat template (the embedded
   * engine: exact while the model is loaded and its template renders the list). Absent where the server exposes
   * no tokenizer (Ollama): prompts are then sized by `estimate` (llm/token-count.ts).
   */
  countTokens?: TokenCount;
}

/** Tokens a list of messages takes in a model's prompt. */
export type TokenCount = (messages: ChatMessage[]) => number;

export interface ChatModel {
  /** Streams one reply. Throws ModelError (before or during iteration) on any provider failure. */
  chat(req: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatChunk>;
  /** Model facts needed to size prompts; cached by the implementation. Throws ModelError. */
  details(model: string): Promise<ModelDetails>;
}

export interface Embedder {
  /** The embedding model's tag, recorded on every vector store built with it. */
  readonly model: string;
  /** One vector per input text, same order. Throws ModelError. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export type ModelErrorKind =
  | "unreachable" // nothing answers at OLLAMA_HOST
  | "model_not_found" // Ollama answered 404 for the model
  | "not_a_chat_model" // the model exists but only embeds
  | "http" // any other non-2xx answer
  | "stream" // an {"error": ...} line in the middle of a stream
  | "timeout"; // no chunk within the configured time

/**
 * A provider failure, already phrased for the person reading the run's `last_error`:
 * it says what happened and what to do about it (e.g. `ollama pull llama3.2`).
 */
export class ModelError extends Error {
  override readonly name = "ModelError";
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
  ) {
    super(message);
  }

  /**
   * The failure as an HTTP answer, for endpoints that call the model synchronously and have no `failed` object
   * to report it on: a missing model is the caller's 404 (naming `model`), anything else a 502 from upstream.
   */
  toApiError(): ApiError {
    if (this.kind === "model_not_found") return new ApiError(404, this.message, "invalid_request_error", "model", "model_not_found");
    if (this.kind === "not_a_chat_model") return new ApiError(400, this.message, "invalid_request_error", "model", "model_not_supported");
    return new ApiError(502, this.message, "server_error");
  }

  /** The Assistants API `last_error.code` for this failure. */
  get code(): "server_error" | "invalid_prompt" {
    return this.kind === "model_not_found" || this.kind === "not_a_chat_model" ? "invalid_prompt" : "server_error";
  }
}
