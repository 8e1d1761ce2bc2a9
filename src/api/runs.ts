import { z } from "zod";
import { MessageCreate, Metadata, ReasoningEffort, ResponseFormat, Temperature, ToolResources, Tools, TopP } from "./common.js";

const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: z.string().min(1) }) }),
  z.strictObject({ type: z.enum(["file_search", "code_interpreter", "retrieval"]) }), // retrieval: v1's file_search
]);
export type ToolChoiceInput = z.infer<typeof ToolChoice>;

const TruncationStrategy = z.strictObject({
  type: z.enum(["auto", "last_messages"]),
  last_messages: z.int().min(1).nullable().optional(),
});

/** Fields a run takes from the request (overriding the assistant's), shared by both create endpoints. */
const runOverrides = {
  assistant_id: z.string().min(1),
  model: z.string().min(1).nullable().optional(),
  instructions: z.string().max(256_000).nullable().optional(),
  tools: Tools.nullable().optional(),
  metadata: Metadata.nullable().optional(),
  temperature: Temperature.nullable().optional(),
  top_p: TopP.nullable().optional(),
  stream: z.boolean().nullable().optional(),
  max_prompt_tokens: z.int().min(256).nullable().optional(),
  max_completion_tokens: z.int().min(256).nullable().optional(),
  truncation_strategy: TruncationStrategy.nullable().optional(),
  tool_choice: ToolChoice.nullable().optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.nullable().optional(),
  reasoning_effort: ReasoningEffort.nullable().optional(),
};

export const RunCreateParams = z.strictObject({
  ...runOverrides,
  additional_instructions: z.string().max(256_000).nullable().optional(),
  additional_messages: z.array(MessageCreate).max(32).nullable().optional(),
});
export type RunCreateParams = z.infer<typeof RunCreateParams>;

export const ThreadAndRunCreateParams = z.strictObject({
  ...runOverrides,
  thread: z
    .strictObject({
      messages: z.array(MessageCreate).max(32).optional(),
      tool_resources: ToolResources.nullable().optional(),
      metadata: Metadata.nullable().optional(),
    })
    .optional(),
  tool_resources: ToolResources.nullable().optional(),
});
export type ThreadAndRunCreateParams = z.infer<typeof ThreadAndRunCreateParams>;

export const SubmitToolOutputsParams = z.strictObject({
  tool_outputs: z.array(z.strictObject({ tool_call_id: z.string().min(1), output: z.string().max(1_000_000) })).min(1),
  stream: z.boolean().nullable().optional(),
});
export type SubmitToolOutputsParams = z.infer<typeof SubmitToolOutputsParams>;

export const RunUpdateParams = z.strictObject({ metadata: Metadata.nullable().optional() });

/** `include[]` on run creation and step reads: only the file_search content expansion exists. */
export const INCLUDE_FILE_SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content";
export const IncludeQuery = z.object({
  "include[]": z.union([z.literal(INCLUDE_FILE_SEARCH_CONTENT), z.array(z.literal(INCLUDE_FILE_SEARCH_CONTENT))]).optional(),
});
