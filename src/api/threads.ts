import { z } from "zod";
import { MessageCreate, Metadata, ToolResources } from "./common.js";

export const ThreadCreateParams = z.strictObject({
  messages: z.array(MessageCreate).max(32).optional(),
  tool_resources: ToolResources.nullable().optional(),
  metadata: Metadata.nullable().optional(),
});
export type ThreadCreateParams = z.infer<typeof ThreadCreateParams>;

export const ThreadUpdateParams = z.strictObject({
  tool_resources: ToolResources.nullable().optional(),
  metadata: Metadata.nullable().optional(),
});

export const MessageUpdateParams = z.strictObject({ metadata: Metadata.nullable().optional() });
