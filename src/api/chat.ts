import { z } from "zod";
import { FunctionDefinition, Metadata, ReasoningEffort, ResponseFormat, ServiceTier, Temperature, TopP } from "./common.js";

/**
 * `POST /v1/chat/completions` (openai-node's ChatCompletionCreateParams). Strict: what is not served (audio,
 * n > 1, logprobs, stored completions) is a 400 naming the field, never ignored.
 */

const TextPart = z.strictObject({ type: z.literal("text"), text: z.string() });
const ImagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const Text = z.union([z.string(), z.array(TextPart)]);
const Name = z.string().max(64).optional();

const ToolCall = z.strictObject({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});

export const ChatMessageParam = z.discriminatedUnion("role", [
  z.strictObject({ role: z.literal("system"), content: Text, name: Name }),
  z.strictObject({ role: z.literal("developer"), content: Text, name: Name }),
  z.strictObject({ role: z.literal("user"), content: z.union([z.string(), z.array(z.discriminatedUnion("type", [TextPart, ImagePart]))]), name: Name }),
  z.strictObject({
    role: z.literal("assistant"),
    content: Text.nullable().optional(),
    tool_calls: z.array(ToolCall).optional(),
    refusal: z.string().nullable().optional(),
    name: Name,
    // A completion's message given back as it came: these ride along (empty here) and are not the model's input.
    annotations: z.array(z.unknown()).optional(),
    audio: z.null().optional(),
    function_call: z.null().optional(),
  }),
  z.strictObject({ role: z.literal("tool"), tool_call_id: z.string().min(1), content: Text }),
]);
export type ChatMessageParam = z.infer<typeof ChatMessageParam>;

export const ChatCompletionCreateParams = z.strictObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageParam).min(1),
  tools: z.array(z.strictObject({ type: z.literal("function"), function: FunctionDefinition })).max(128).optional(),
  tool_choice: z
    .union([z.enum(["none", "auto", "required"]), z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: z.string().min(1) }) })])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.optional(),
  max_completion_tokens: z.int().min(1).nullable().optional(),
  max_tokens: z.int().min(1).nullable().optional(),
  temperature: Temperature.nullable().optional(),
  top_p: TopP.nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  seed: z.int().nullable().optional(),
  /** One choice only: a local model makes one answer at a time. */
  n: z.literal(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  reasoning_effort: ReasoningEffort.nullable().optional(),
  logprobs: z.literal(false).nullable().optional(),
  store: z.literal(false).nullable().optional(),
  metadata: Metadata.nullable().optional(),
  service_tier: ServiceTier.nullable().optional(),
  prompt_cache_key: z.string().optional(),
  safety_identifier: z.string().optional(),
  user: z.string().optional(),
});
export type ChatCompletionCreateParams = z.infer<typeof ChatCompletionCreateParams>;
