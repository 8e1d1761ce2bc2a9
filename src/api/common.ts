import { z } from "zod";

/** Request-schema building blocks shared by several resources (names follow openai-node). */

export const Metadata = z
  .record(
    z.string().max(64, "metadata keys can be at most 64 characters"),
    z.string().max(512, "metadata values can be at most 512 characters"),
  )
  .refine((m) => Object.keys(m).length <= 16, "metadata can have at most 16 keys");

const FunctionName = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, "function names are 1-64 characters of a-z, A-Z, 0-9, underscores and dashes");

export const FunctionDefinition = z.strictObject({
  name: FunctionName,
  description: z.string().max(8192).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});

export const FileSearchRankingOptions = z.strictObject({
  ranker: z.enum(["auto", "default_2024_08_21"]).optional(),
  score_threshold: z.number().min(0).max(1),
});

const CodeInterpreterTool = z.strictObject({ type: z.literal("code_interpreter") });
const FileSearchTool = z.strictObject({
  type: z.literal("file_search"),
  file_search: z
    .strictObject({
      max_num_results: z.int().min(1).max(50).optional(),
      ranking_options: FileSearchRankingOptions.optional(),
    })
    .optional(),
});
const FunctionTool = z.strictObject({ type: z.literal("function"), function: FunctionDefinition });
/** The v1 name of file_search; tutorial code written for v1 still sends it. */
const RetrievalTool = z.strictObject({ type: z.literal("retrieval") });

export const Tool = z.discriminatedUnion("type", [CodeInterpreterTool, FileSearchTool, FunctionTool, RetrievalTool]);
export type ToolInput = z.infer<typeof Tool>;
export const Tools = z.array(Tool).max(128, "an assistant can have at most 128 tools");

export const ChunkingStrategy = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto") }),
  z.strictObject({
    type: z.literal("static"),
    static: z.strictObject({
      max_chunk_size_tokens: z.int().min(100).max(4096),
      chunk_overlap_tokens: z.int().min(0),
    }),
  }),
]);

export const ToolResources = z.strictObject({
  code_interpreter: z.strictObject({ file_ids: z.array(z.string()).max(20).optional() }).optional(),
  file_search: z
    .strictObject({
      vector_store_ids: z.array(z.string()).max(1).optional(),
      vector_stores: z
        .array(
          z.strictObject({
            file_ids: z.array(z.string()).max(10000).optional(),
            chunking_strategy: ChunkingStrategy.optional(),
            metadata: Metadata.nullable().optional(),
          }),
        )
        .max(1)
        .optional(),
    })
    .optional(),
});
export type ToolResourcesInput = z.infer<typeof ToolResources>;

export const ResponseFormat = z.union([
  z.literal("auto"),
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormatInput = z.infer<typeof ResponseFormat>;

export const Temperature = z.number().min(0).max(2);
export const TopP = z.number().min(0).max(1);
/**
 * OpenAI's reasoning effort (assistants, runs, chat `reasoning_effort`; Responses `reasoning.effort`). How each
 * value reaches a local model is llm/thinking.ts's rule.
 */
export const ReasoningEffort = z.enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"]);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;
/** Accepted and echoed (`auto` shows as `default`): one local model serves every tier alike. */
export const ServiceTier = z.enum(["auto", "default", "flex", "scale", "priority"]);

const AttachmentTool = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("code_interpreter") }),
  z.strictObject({ type: z.literal("file_search") }),
]);
export const Attachment = z.strictObject({ file_id: z.string(), tools: z.array(AttachmentTool).optional() });

const TextPart = z.strictObject({ type: z.literal("text"), text: z.string() });
const ImageFilePart = z.strictObject({
  type: z.literal("image_file"),
  image_file: z.strictObject({ file_id: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const ImageUrlPart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({ url: z.url(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
export const MessageContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion("type", [TextPart, ImageFilePart, ImageUrlPart])).min(1),
]);

export const MessageCreate = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: MessageContent,
  attachments: z.array(Attachment).max(20).nullable().optional(),
  /** v1 shape: files for retrieval. Accepted so tutorial code keeps working; stored as file_search attachments. */
  file_ids: z.array(z.string()).max(20).optional(),
  metadata: Metadata.nullable().optional(),
});
export type MessageCreateInput = z.infer<typeof MessageCreate>;

/** List query parameters shared by every list endpoint. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("desc"),
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
});
