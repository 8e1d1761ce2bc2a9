/**
 * The Assistants v1 wire objects, answered to clients that send `OpenAI-Beta: assistants=v1` (openai-python
 * 1.2.3, the tutorial era, and every client written before April 2024). Same store, other shapes: v1 named
 * file_search `retrieval` and attached files by `file_ids` instead of tool_resources and attachments.
 * Field sets are v1's last reference (openai-openapi before v2); presented by objects/v1-view.ts.
 */
import type { Assistant, Message, Run, RunStep, StepToolCall, Thread } from "./wire.js";

export type AssistantToolV1 =
  | { type: "code_interpreter" }
  | { type: "retrieval" }
  | { type: "function"; function: { name: string; description?: string; parameters?: Record<string, unknown> } };

export type ToolChoiceV1 = "none" | "auto" | "required" | { type: "function"; function: { name: string } } | { type: "retrieval" | "code_interpreter" };

export type AssistantV1 = Omit<Assistant, "tools" | "tool_resources" | "temperature" | "top_p" | "response_format"> & {
  tools: AssistantToolV1[];
  /** Up to 20 in v1; here every file the assistant's tools can read (its code_interpreter files and stores). */
  file_ids: string[];
};

export type ThreadV1 = Omit<Thread, "tool_resources">;

export type MessageV1 = Omit<Message, "attachments"> & { file_ids: string[] };

export type RunV1 = Omit<Run, "tools" | "tool_resources" | "top_p" | "parallel_tool_calls" | "tool_choice" | "expires_at"> & {
  /** Never null in v1 (openai-python 1.2.3 declares an integer). */
  expires_at: number;
  tools: AssistantToolV1[];
  file_ids: string[];
  tool_choice: ToolChoiceV1;
};

/** v1's retrieval call carries no query and no results: "for now, this is always going to be an empty object". */
export type StepToolCallV1 = Exclude<StepToolCall, { type: "file_search" }> | { id: string; type: "retrieval"; retrieval: Record<string, never> };

export type RunStepV1 = Omit<RunStep, "step_details"> & {
  step_details: Exclude<RunStep["step_details"], { type: "tool_calls" }> | { type: "tool_calls"; tool_calls: StepToolCallV1[] };
};

export interface AssistantFile {
  id: string;
  object: "assistant.file";
  created_at: number;
  assistant_id: string;
}

export interface MessageFile {
  id: string;
  object: "thread.message.file";
  created_at: number;
  message_id: string;
}
