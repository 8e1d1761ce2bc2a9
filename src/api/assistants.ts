import { z } from "zod";
import { Metadata, ReasoningEffort, ResponseFormat, Temperature, ToolResources, Tools, TopP } from "./common.js";

const assistantFields = {
  name: z.string().max(256).nullable().optional(),
  description: z.string().max(512).nullable().optional(),
  instructions: z.string().max(256_000).nullable().optional(),
  tools: Tools.optional(),
  tool_resources: ToolResources.nullable().optional(),
  metadata: Metadata.nullable().optional(),
  temperature: Temperature.nullable().optional(),
  top_p: TopP.nullable().optional(),
  response_format: ResponseFormat.nullable().optional(),
  // How hard a model that thinks reasons on this assistant's runs (llm/thinking.ts); no effect on others.
  reasoning_effort: ReasoningEffort.nullable().optional(),
  /** v1 shape: files for retrieval/code_interpreter, turned into tool_resources (see objects/normalize.ts). */
  file_ids: z.array(z.string()).max(20).optional(),
};

export const AssistantCreateParams = z.strictObject({ model: z.string().min(1), ...assistantFields });
export type AssistantCreateParams = z.infer<typeof AssistantCreateParams>;

export const AssistantUpdateParams = z.strictObject({ model: z.string().min(1).optional(), ...assistantFields });
export type AssistantUpdateParams = z.infer<typeof AssistantUpdateParams>;
