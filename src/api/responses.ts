import { z } from "zod";
import { Metadata, ReasoningEffort, ServiceTier, Temperature, TopP } from "./common.js";
import { AttributeFilter } from "./vector-stores.js";

/**
 * Request schema of `POST /v1/responses` (names follow openai-node's ResponseCreateParams). Strict: a field we
 * do not serve is a 400 naming it, never silently ignored. What this version does not execute yet (other
 * built-in tools, `file_url`) is refused where it is prepared, with a 400 that says so.
 */

const InputText = z.strictObject({ type: z.literal("input_text"), text: z.string() });
const OutputText = z.strictObject({
  type: z.literal("output_text"),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
  logprobs: z.array(z.unknown()).optional(),
});
const InputImage = z.strictObject({
  type: z.literal("input_image"),
  image_url: z.string().nullable().optional(),
  file_id: z.string().nullable().optional(),
  detail: z.enum(["auto", "low", "high"]).optional(),
});
const InputFile = z.strictObject({
  type: z.literal("input_file"),
  file_id: z.string().nullable().optional(),
  file_data: z.string().optional(),
  filename: z.string().nullable().optional(), // null as stored items show it (a file given by id)
  file_url: z.string().optional(),
});
const ContentPart = z.discriminatedUnion("type", [InputText, OutputText, InputImage, InputFile]);

/** A message item; the SDK's EasyInputMessage leaves out `type`. */
const MessageItem = z.strictObject({
  type: z.literal("message"),
  id: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(ContentPart)]),
  status: z.enum(["in_progress", "completed", "incomplete"]).optional(),
  phase: z.unknown().optional(),
});
const FunctionCallItem = z.strictObject({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.enum(["in_progress", "completed", "incomplete"]).optional(),
});
const FunctionCallOutputItem = z.strictObject({
  type: z.literal("function_call_output"),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(z.union([InputText, InputImage, InputFile]))]),
  status: z.enum(["in_progress", "completed", "incomplete"]).nullable().optional(),
});
/**
 * A reasoning item given back (from an earlier output): its trace goes back to the model with the turn that
 * followed it. Encrypted reasoning is another provider's and cannot be read here.
 */
const ReasoningItem = z.strictObject({
  type: z.literal("reasoning"),
  id: z.string().min(1),
  summary: z.array(z.strictObject({ type: z.literal("summary_text"), text: z.string() })),
  content: z.array(z.strictObject({ type: z.literal("reasoning_text"), text: z.string() })).nullable().optional(),
  encrypted_content: z.null().optional(),
  status: z.enum(["in_progress", "completed", "incomplete"]).nullable().optional(),
});
/** A compaction made by POST /responses/compact, given back (responses/compaction.ts reads it). */
const CompactionItem = z.strictObject({
  type: z.literal("compaction"),
  id: z.string().nullable().optional(),
  encrypted_content: z.string().max(20 * 1024 * 1024),
});
/** Built-in call items given back (earlier output): replayed to the model as the calls they record. */
const FileSearchCallItem = z.strictObject({
  type: z.literal("file_search_call"),
  id: z.string().min(1),
  status: z.enum(["in_progress", "searching", "completed", "incomplete", "failed"]),
  queries: z.array(z.string()),
  results: z
    .array(
      z.strictObject({
        file_id: z.string(),
        text: z.string(),
        filename: z.string(),
        score: z.number(),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
});
const CodeInterpreterCallItem = z.strictObject({
  type: z.literal("code_interpreter_call"),
  id: z.string().min(1),
  status: z.enum(["in_progress", "interpreting", "completed", "incomplete", "failed"]),
  container_id: z.string().min(1),
  code: z.string().nullable(),
  outputs: z
    .array(z.discriminatedUnion("type", [z.strictObject({ type: z.literal("logs"), logs: z.string() }), z.strictObject({ type: z.literal("image"), url: z.string() })]))
    .nullable(),
});
const ItemReference = z.strictObject({ type: z.literal("item_reference"), id: z.string().min(1) });

export const InputItem = z.preprocess(
  (item) => (typeof item === "object" && item !== null && !("type" in item) && "role" in item ? { type: "message", ...item } : item),
  z.discriminatedUnion("type", [MessageItem, FunctionCallItem, FunctionCallOutputItem, ReasoningItem, CompactionItem, FileSearchCallItem, CodeInterpreterCallItem, ItemReference]),
);
export type InputItemParam = z.infer<typeof InputItem>;

const FunctionTool = z.strictObject({
  type: z.literal("function"),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "function names are 1-64 characters of a-z, A-Z, 0-9, underscores and dashes"),
  description: z.string().max(8192).nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});
const FileSearchTool = z.strictObject({
  type: z.literal("file_search"),
  vector_store_ids: z.array(z.string().min(1)).max(16),
  filters: AttributeFilter.nullable().optional(),
  max_num_results: z.int().min(1).max(50).optional(),
  // The Responses API's own ranker names; this server has one ranker, whichever is named.
  ranking_options: z.strictObject({ ranker: z.enum(["auto", "default-2024-11-15"]).optional(), score_threshold: z.number().min(0).max(1).optional() }).optional(),
});
export type FileSearchToolParam = z.infer<typeof FileSearchTool>;
/** code_interpreter runs in a container: one by id, or `auto` (a new one, or the one earlier calls in the history used). */
const CodeInterpreterTool = z.strictObject({
  type: z.literal("code_interpreter"),
  container: z.union([
    z.string().min(1),
    z.strictObject({
      type: z.literal("auto"),
      file_ids: z.array(z.string().min(1)).max(50).optional(),
      memory_limit: z.enum(["1g", "4g", "16g", "64g"]).nullable().optional(),
      // The sandbox has no network at all: "disabled" is what it is; an allowlist cannot be honoured.
      network_policy: z.strictObject({ type: z.literal("disabled") }).optional(),
    }),
  ]),
});
export type CodeInterpreterToolParam = z.infer<typeof CodeInterpreterTool>;

/** Other built-in tools are parsed loosely here and refused by the service, naming the tool. */
const UnservedTool = z.looseObject({ type: z.enum(["web_search", "web_search_preview", "mcp", "image_generation", "computer_use_preview", "local_shell", "custom", "shell", "apply_patch"]) });
const Tool = z.union([FunctionTool, FileSearchTool, CodeInterpreterTool, UnservedTool]);
export type ToolParam = z.infer<typeof Tool>;
export type FunctionToolParam = z.infer<typeof FunctionTool>;

const ToolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.strictObject({ type: z.literal("function"), name: z.string().min(1) }),
  z.strictObject({ type: z.enum(["file_search", "code_interpreter"]) }),
  z.strictObject({
    type: z.literal("allowed_tools"),
    mode: z.enum(["auto", "required"]),
    tools: z.array(z.looseObject({ type: z.string() })),
  }),
]);
export type ResponseToolChoice = z.infer<typeof ToolChoice>;

const TextFormat = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);
export type TextFormatParam = z.infer<typeof TextFormat>;

/**
 * The `include[]` values served: file_search results and code_interpreter outputs in their call items, and the
 * image URLs of input images in listed input items (a data: URL can be megabytes; shown as null otherwise).
 */
export const RESPONSE_INCLUDES = ["file_search_call.results", "code_interpreter_call.outputs", "message.input_image.image_url"] as const;
export const INCLUDE_INPUT_IMAGE_URL = "message.input_image.image_url";

/** Beyond the hosted API: an assistant (`asst_...`) as the reusable prompt (responses/assistant-prompt.ts). */
const Prompt = z.strictObject({
  id: z.string().min(1),
  version: z.string().nullable().optional(),
  variables: z.record(z.string(), z.union([z.string(), InputText, InputImage, InputFile])).nullable().optional(),
});

export const ResponseCreateParams = z.strictObject({
  /** Required unless `prompt` names an assistant, whose model is the default. */
  model: z.string().min(1).optional(),
  prompt: Prompt.nullable().optional(),
  input: z.union([z.string(), z.array(InputItem)]).optional(),
  instructions: z.string().nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  /** A conversation's items come first; the response's input and output are added to it when it ends. */
  conversation: z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]).nullable().optional(),
  store: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  tools: z.array(Tool).max(128).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_tool_calls: z.int().min(1).nullable().optional(),
  max_output_tokens: z.int().min(16).nullable().optional(),
  temperature: Temperature.nullable().optional(),
  top_p: TopP.nullable().optional(),
  // Open Responses' sampling penalties (Ollama takes both as options).
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  text: z.strictObject({ format: TextFormat.optional(), verbosity: z.enum(["low", "medium", "high"]).nullable().optional() }).nullable().optional(),
  truncation: z.enum(["auto", "disabled"]).nullable().optional(),
  /** `effort` sets how hard a model that thinks reasons (no effect on others); summaries are not made. */
  reasoning: z
    .strictObject({
      effort: ReasoningEffort.nullable().optional(),
      summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
      generate_summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(), // summary's deprecated name
    })
    .nullable()
    .optional(),
  include: z.array(z.enum(RESPONSE_INCLUDES)).nullable().optional(),
  metadata: Metadata.nullable().optional(),
  prompt_cache_key: z.string().optional(),
  safety_identifier: z.string().optional(),
  service_tier: ServiceTier.nullable().optional(),
  user: z.string().optional(),
});
export type ResponseCreateParams = z.infer<typeof ResponseCreateParams>;

/** `POST /v1/responses/compact`: a conversation (input and/or a stored chain) to compact; nothing is stored. */
export const CompactParams = z.strictObject({
  /** Required, as the document says; null means the default model. */
  model: z.string().min(1).nullable(),
  input: z.union([z.string(), z.array(InputItem)]).nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  instructions: z.string().nullable().optional(),
  prompt_cache_key: z.string().max(64).nullable().optional(),
  prompt_cache_retention: z.enum(["in_memory", "24h"]).nullable().optional(),
  service_tier: ServiceTier.nullable().optional(),
});
export type CompactParams = z.infer<typeof CompactParams>;

/** `POST /v1/responses/input_tokens`: what a create request would send the model, counted without running it. */
export const InputTokensParams = ResponseCreateParams.pick({
  input: true,
  instructions: true,
  previous_response_id: true,
  conversation: true,
  reasoning: true,
  tools: true,
  tool_choice: true,
  parallel_tool_calls: true,
  text: true,
  truncation: true,
}).extend({ model: z.string().min(1).nullable().optional() });
export type InputTokensParams = z.infer<typeof InputTokensParams>;

