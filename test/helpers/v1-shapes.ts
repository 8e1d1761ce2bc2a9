/**
 * The Assistants v1 wire objects as a v1 client reads them, to validate what the server answers to
 * `OpenAI-Beta: assistants=v1`. Written from openai-python v1.2.3's models (src/openai/types/beta/, the SDK
 * the tutorial uses): its fields are required here. Fields v1 gained later (March 2024: message status,
 * run usage, truncation…) are optional. Objects are strict, so a v2-only field (tool_resources, attachments,
 * top_p, parallel_tool_calls, a file_search tool) fails the check.
 */
import { expect } from "vitest";
import { z } from "zod";

const Metadata = z.record(z.string(), z.string()).nullable();
const Timestamp = z.int().nonnegative();

const ToolV1 = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("code_interpreter") }),
  z.strictObject({ type: z.literal("retrieval") }),
  z.strictObject({
    type: z.literal("function"),
    function: z.strictObject({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
  }),
]);

export const AssistantV1 = z.strictObject({
  id: z.string(),
  object: z.literal("assistant"),
  created_at: Timestamp,
  name: z.string().nullable(),
  description: z.string().nullable(),
  model: z.string(),
  instructions: z.string().nullable(),
  tools: z.array(ToolV1),
  file_ids: z.array(z.string()),
  metadata: Metadata,
});

export const ThreadV1 = z.strictObject({ id: z.string(), object: z.literal("thread"), created_at: Timestamp, metadata: Metadata });

const Annotation = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("file_citation"),
    text: z.string(),
    start_index: z.int(),
    end_index: z.int(),
    // `quote` is required in v1; `page` is this server's addition (where the passage is, when known).
    file_citation: z.strictObject({ file_id: z.string(), quote: z.string(), page: z.int().optional() }),
  }),
  z.strictObject({ type: z.literal("file_path"), text: z.string(), start_index: z.int(), end_index: z.int(), file_path: z.strictObject({ file_id: z.string() }) }),
]);

const ContentV1 = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: z.strictObject({ value: z.string(), annotations: z.array(Annotation) }) }),
  z.strictObject({ type: z.literal("image_file"), image_file: z.strictObject({ file_id: z.string(), detail: z.string().optional() }) }),
]);

export const MessageV1 = z.strictObject({
  id: z.string(),
  object: z.literal("thread.message"),
  created_at: Timestamp,
  thread_id: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.array(ContentV1),
  assistant_id: z.string().nullable(),
  run_id: z.string().nullable(),
  file_ids: z.array(z.string()),
  metadata: Metadata,
  status: z.enum(["in_progress", "incomplete", "completed"]).optional(),
  incomplete_details: z.object({ reason: z.string() }).nullable().optional(),
  completed_at: Timestamp.nullable().optional(),
  incomplete_at: Timestamp.nullable().optional(),
});

export const RunV1 = z.strictObject({
  id: z.string(),
  object: z.literal("thread.run"),
  created_at: Timestamp,
  thread_id: z.string(),
  assistant_id: z.string(),
  status: z.enum(["queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed", "completed", "expired", "incomplete"]),
  required_action: z
    .strictObject({
      type: z.literal("submit_tool_outputs"),
      submit_tool_outputs: z.strictObject({
        tool_calls: z.array(z.strictObject({ id: z.string(), type: z.literal("function"), function: z.strictObject({ name: z.string(), arguments: z.string() }) })),
      }),
    })
    .nullable(),
  last_error: z.strictObject({ code: z.enum(["server_error", "rate_limit_exceeded", "invalid_prompt"]), message: z.string() }).nullable(),
  // v1.2.3 declares an integer, and v1's reference shows one on ended runs too (v2 answers null there).
  expires_at: Timestamp,
  started_at: Timestamp.nullable(),
  cancelled_at: Timestamp.nullable(),
  failed_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  model: z.string(),
  instructions: z.string(),
  tools: z.array(ToolV1),
  file_ids: z.array(z.string()),
  metadata: Metadata,
  incomplete_details: z.object({ reason: z.string() }).nullable().optional(),
  usage: z.strictObject({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() }).nullable().optional(),
  temperature: z.number().nullable().optional(),
  max_prompt_tokens: z.int().nullable().optional(),
  max_completion_tokens: z.int().nullable().optional(),
  truncation_strategy: z.strictObject({ type: z.enum(["auto", "last_messages"]), last_messages: z.int().nullable() }).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: z.string() }) }),
      z.strictObject({ type: z.enum(["retrieval", "code_interpreter"]) }),
    ])
    .optional(),
  response_format: z.unknown().optional(),
});

const ToolCallV1 = z.discriminatedUnion("type", [
  z.strictObject({
    id: z.string(),
    type: z.literal("code_interpreter"),
    code_interpreter: z.strictObject({
      input: z.string(),
      outputs: z.array(
        z.discriminatedUnion("type", [
          z.strictObject({ type: z.literal("logs"), logs: z.string() }),
          z.strictObject({ type: z.literal("image"), image: z.strictObject({ file_id: z.string() }) }),
        ]),
      ),
    }),
  }),
  z.strictObject({ id: z.string(), type: z.literal("retrieval"), retrieval: z.strictObject({}) }),
  z.strictObject({ id: z.string(), type: z.literal("function"), function: z.strictObject({ name: z.string(), arguments: z.string(), output: z.string().nullable() }) }),
]);

export const RunStepV1 = z.strictObject({
  id: z.string(),
  object: z.literal("thread.run.step"),
  created_at: Timestamp,
  assistant_id: z.string(),
  thread_id: z.string(),
  run_id: z.string(),
  type: z.enum(["message_creation", "tool_calls"]),
  status: z.enum(["in_progress", "cancelled", "failed", "completed", "expired"]),
  step_details: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("message_creation"), message_creation: z.strictObject({ message_id: z.string() }) }),
    z.strictObject({ type: z.literal("tool_calls"), tool_calls: z.array(ToolCallV1) }),
  ]),
  last_error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  expired_at: Timestamp.nullable(),
  cancelled_at: Timestamp.nullable(),
  failed_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  metadata: Metadata,
  usage: z.strictObject({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() }).nullable().optional(),
});

export const AssistantFileV1 = z.strictObject({ id: z.string(), object: z.literal("assistant.file"), created_at: Timestamp, assistant_id: z.string() });
export const MessageFileV1 = z.strictObject({ id: z.string(), object: z.literal("thread.message.file"), created_at: Timestamp, message_id: z.string() });

export function listOf<T extends z.ZodType>(item: T) {
  return z.strictObject({ object: z.literal("list"), data: z.array(item), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() });
}

/** Asserts `value` is a valid v1 object of `schema`, naming every mismatch. */
export function expectV1<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  expect(result.success, result.success ? "" : `${z.prettifyError(result.error)}\n${JSON.stringify(value, null, 1).slice(0, 2000)}`).toBe(true);
  return result.data as z.output<T>;
}
