/** Wire shapes of the Responses API (names follow openai-node's `Responses` types). */

import type { ReasoningEffort } from "./common.js";

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export type InputContent =
  | { type: "input_text"; text: string }
  | { type: "output_text"; text: string; annotations: unknown[]; logprobs?: unknown[] }
  | InputImage
  | InputFile;

/** An image given to the model: an uploaded file or a URL (a `data:` URL, or an http(s) URL it is told about). */
export interface InputImage {
  type: "input_image";
  image_url: string | null;
  file_id: string | null;
  detail: "auto" | "low" | "high";
}

/** A document given to the model: an uploaded file or inline base64 data; its text goes into the prompt. */
export interface InputFile {
  type: "input_file";
  file_id: string | null;
  filename: string | null;
  file_data?: string;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface MessageItem {
  id: string;
  type: "message";
  role: "user" | "assistant" | "system" | "developer";
  status: ItemStatus;
  content: (InputContent | OutputText)[];
}

export interface FunctionCallItem {
  id: string;
  type: "function_call";
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export interface FunctionCallOutputItem {
  id: string;
  type: "function_call_output";
  status: ItemStatus;
  call_id: string;
  output: string;
}

export interface FileSearchResultItem {
  file_id: string;
  filename: string;
  text: string;
  score: number;
  attributes: Record<string, string | number | boolean>;
}

export interface FileSearchCallItem {
  id: string;
  type: "file_search_call";
  status: "in_progress" | "searching" | "completed" | "incomplete" | "failed";
  queries: string[];
  /** Stored always (the model's later turns read them); shown only with include file_search_call.results. */
  results: FileSearchResultItem[] | null;
}

export type CodeInterpreterOutput = { type: "logs"; logs: string } | { type: "image"; url: string };

export interface CodeInterpreterCallItem {
  id: string;
  type: "code_interpreter_call";
  status: "in_progress" | "interpreting" | "completed" | "incomplete" | "failed";
  container_id: string;
  code: string | null;
  /** Stored always (the model's later turns read them); shown only with include code_interpreter_call.outputs. */
  outputs: CodeInterpreterOutput[] | null;
}

/**
 * The model's reasoning before a reply or call (models that think): the raw trace in `content`, as the Open
 * Responses specification allows and OpenAI serves for open-weight models. No summary is made (`summary` is
 * empty) and nothing is encrypted: the trace never leaves this machine.
 */
export interface ReasoningItem {
  id: string;
  type: "reasoning";
  status: ItemStatus;
  summary: { type: "summary_text"; text: string }[];
  content: { type: "reasoning_text"; text: string }[];
}

/** A compacted stretch of conversation (POST /responses/compact), given back as input: see responses/compaction.ts. */
export interface CompactionItem {
  id: string;
  type: "compaction";
  encrypted_content: string;
}

/** `POST /responses/compact`: the user messages, then one compaction item. */
export interface CompactedResponse {
  id: string;
  object: "response.compaction";
  created_at: number;
  output: (MessageItem | CompactionItem)[];
  usage: ResponseUsage;
}

/** The output items a built-in tool call becomes. */
export type BuiltinCallItem = FileSearchCallItem | CodeInterpreterCallItem;

/** An item as stored and listed: input items, and the output items the model produced. */
export type ResponseItem = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem | CompactionItem | BuiltinCallItem;
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem | BuiltinCallItem;

export type ResponseStatus = "queued" | "in_progress" | "completed" | "failed" | "incomplete" | "cancelled";

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface Response {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  /** As requested (the effort reaches the model as Ollama's `think`, llm/thinking.ts); summaries are not made. */
  reasoning: { effort: ReasoningEffort | null; summary: "auto" | "concise" | "detailed" | null };
  store: boolean;
  background: boolean;
  temperature: number;
  top_p: number;
  presence_penalty: number;
  frequency_penalty: number;
  text: { format: Record<string, unknown>; verbosity: string };
  tool_choice: unknown;
  tools: Record<string, unknown>[];
  truncation: "auto" | "disabled";
  /**
   * Counted as the response goes: zeros until the model answered. Always an object: the OpenAI document types
   * it as one, and Open Responses requires the field on every snapshot, events included.
   */
  usage: ResponseUsage;
  metadata: Record<string, string>;
  service_tier: string;
  prompt_cache_key: string | null;
  safety_identifier: string | null;
  top_logprobs: number;
  /** The conversation the response belongs to (its items came first; its input and output were added). */
  conversation?: { id: string } | null;
  /** The assistant used as the prompt, when the request named one (responses/assistant-prompt.ts). */
  prompt?: { id: string; variables: Record<string, unknown> | null; version: null };
  /** Echoed when the request gave one (deprecated by OpenAI for safety_identifier and prompt_cache_key). */
  user?: string;
}

/** A conversation (Responses API): its items are the context of the responses made in it. */
export interface Conversation {
  id: string;
  object: "conversation";
  created_at: number;
  metadata: Record<string, string>;
}

/** A streamed event: `type` plus its fields; `sequence_number` is added by the writer. */
export type ResponseEvent = { type: string; sequence_number: number } & Record<string, unknown>;
