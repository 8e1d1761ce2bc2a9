/**
 * The objects this server returns, with openai-node's names and the Assistants v2 fields (snake_case).
 * These are the stored shapes too: a row's `body` is exactly what clients see.
 */

import type { ReasoningEffort } from "./common.js";

export type Metadata = Record<string, string>;

export type AssistantTool =
  | { type: "code_interpreter" }
  | {
      type: "file_search";
      file_search?: {
        max_num_results?: number;
        ranking_options?: { ranker: "auto" | "default_2024_08_21"; score_threshold: number };
      };
    }
  | {
      type: "function";
      function: { name: string; description?: string; parameters?: Record<string, unknown>; strict: boolean | null };
    };

export interface ToolResources {
  code_interpreter?: { file_ids: string[] };
  file_search?: { vector_store_ids: string[] };
}

export type ResponseFormat =
  | "auto"
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export interface Assistant {
  id: string;
  object: "assistant";
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: AssistantTool[];
  tool_resources: ToolResources | null;
  metadata: Metadata;
  temperature: number | null;
  top_p: number | null;
  response_format: ResponseFormat | null;
  /** Present once set (create or modify): the effort its runs reason with unless a run names its own. */
  reasoning_effort?: ReasoningEffort | null;
}

export interface Thread {
  id: string;
  object: "thread";
  created_at: number;
  tool_resources: ToolResources | null;
  metadata: Metadata;
}

export interface Annotation {
  type: "file_citation" | "file_path";
  text: string;
  start_index: number;
  end_index: number;
  /** `quote` and `page` go beyond the v2 wire format: what was cited, and where (PDF page), when known. */
  file_citation?: { file_id: string; quote?: string; page?: number };
  file_path?: { file_id: string };
}

export type MessageContentPart =
  | { type: "text"; text: { value: string; annotations: Annotation[] } }
  | { type: "image_file"; image_file: { file_id: string; detail?: "auto" | "low" | "high" } }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };

export interface MessageAttachment {
  file_id: string;
  tools: ({ type: "code_interpreter" } | { type: "file_search" })[];
}

export interface Message {
  id: string;
  object: "thread.message";
  created_at: number;
  thread_id: string;
  status: "in_progress" | "incomplete" | "completed";
  incomplete_details: { reason: "content_filter" | "max_tokens" | "run_cancelled" | "run_expired" | "run_failed" } | null;
  completed_at: number | null;
  incomplete_at: number | null;
  role: "user" | "assistant";
  content: MessageContentPart[];
  assistant_id: string | null;
  run_id: string | null;
  attachments: MessageAttachment[] | null;
  metadata: Metadata;
}

export const FILE_PURPOSES = [
  "assistants",
  "assistants_output",
  "batch",
  "batch_output",
  "fine-tune",
  "fine-tune-results",
  "vision",
  "user_data",
  "evals",
] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

export interface FileObject {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: "uploaded" | "processed" | "error";
}

export interface DeletedObject {
  id: string;
  object: string;
  deleted: true;
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export type RunStatus =
  | "queued"
  | "in_progress"
  | "requires_action"
  | "cancelling"
  | "cancelled"
  | "failed"
  | "completed"
  | "incomplete"
  | "expired";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface FunctionToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } } | { type: "file_search" | "code_interpreter" };

export interface TruncationStrategy {
  type: "auto" | "last_messages";
  last_messages: number | null;
}

export interface Run {
  id: string;
  object: "thread.run";
  created_at: number;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  required_action: { type: "submit_tool_outputs"; submit_tool_outputs: { tool_calls: FunctionToolCall[] } } | null;
  last_error: { code: "server_error" | "rate_limit_exceeded" | "invalid_prompt"; message: string } | null;
  expires_at: number | null;
  started_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  incomplete_details: { reason: "max_completion_tokens" | "max_prompt_tokens" } | null;
  model: string;
  instructions: string;
  tools: AssistantTool[];
  tool_resources?: ToolResources | null;
  metadata: Metadata;
  usage: Usage | null;
  temperature: number | null;
  top_p: number | null;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  truncation_strategy: TruncationStrategy;
  tool_choice: ToolChoice;
  parallel_tool_calls: boolean;
  response_format: ResponseFormat;
}

export interface FileSearchResult {
  file_id: string;
  file_name: string;
  score: number;
  /** The PDF page the passage starts on (beyond the v2 wire format; absent for files without pages). */
  page?: number;
  content?: { type: "text"; text: string }[];
}

export type StepToolCall =
  | { id: string; type: "function"; function: { name: string; arguments: string; output: string | null } }
  | {
      id: string;
      type: "code_interpreter";
      code_interpreter: {
        input: string;
        outputs: ({ type: "logs"; logs: string } | { type: "image"; image: { file_id: string } })[];
      };
    }
  | {
      id: string;
      type: "file_search";
      file_search: {
        ranking_options?: { ranker: string; score_threshold: number };
        results?: FileSearchResult[];
        /** Beyond v2: what the model searched for (replayed to it in later turns; the Responses API shows it too). */
        query?: string;
      };
    };

export interface RunStep {
  id: string;
  object: "thread.run.step";
  created_at: number;
  assistant_id: string;
  thread_id: string;
  run_id: string;
  type: "message_creation" | "tool_calls";
  status: "in_progress" | "cancelled" | "failed" | "completed" | "expired";
  step_details:
    | { type: "message_creation"; message_creation: { message_id: string } }
    | { type: "tool_calls"; tool_calls: StepToolCall[] };
  last_error: { code: "server_error" | "rate_limit_exceeded"; message: string } | null;
  expired_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  metadata: Metadata;
  usage: Usage | null;
}

export type FileAttributes = Record<string, string | number | boolean>;

export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

export interface VectorStore {
  id: string;
  object: "vector_store";
  created_at: number;
  name: string;
  usage_bytes: number;
  file_counts: FileCounts;
  status: "expired" | "in_progress" | "completed";
  expires_after?: { anchor: "last_active_at"; days: number };
  expires_at: number | null;
  last_active_at: number | null;
  metadata: Metadata;
}

export type ChunkingStrategy =
  | { type: "static"; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }
  | { type: "other" };

export interface VectorStoreFile {
  id: string;
  object: "vector_store.file";
  usage_bytes: number;
  created_at: number;
  vector_store_id: string;
  status: "in_progress" | "completed" | "cancelled" | "failed";
  last_error: { code: "server_error" | "unsupported_file" | "invalid_file"; message: string } | null;
  chunking_strategy: ChunkingStrategy;
  attributes: FileAttributes;
  /** Beyond the v2 wire format: how far reading the file has got, while it is in progress and being read. */
  progress?: FileProgress;
}

/** Pages read so far (text layer, OCR, slides, sheets) of the file's pages; `pages_total` null where not known up front. */
export interface FileProgress {
  pages_done: number;
  pages_total: number | null;
}

export interface VectorStoreFileBatch {
  id: string;
  object: "vector_store.files_batch";
  created_at: number;
  vector_store_id: string;
  status: "in_progress" | "completed" | "cancelled" | "failed";
  file_counts: FileCounts;
}
