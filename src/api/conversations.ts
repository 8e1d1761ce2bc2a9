import { z } from "zod";
import { Metadata } from "./common.js";
import { InputItem } from "./responses.js";

/** Request schemas of /v1/conversations (names follow openai-node's ConversationCreateParams and friends). */

/** Items added in one call, as the hosted API limits them. */
export const MAX_ITEMS_PER_CALL = 20;

export const ConversationCreateParams = z.strictObject({
  items: z.array(InputItem).max(MAX_ITEMS_PER_CALL).nullable().optional(),
  metadata: Metadata.nullable().optional(),
});
export type ConversationCreateParams = z.infer<typeof ConversationCreateParams>;

export const ConversationUpdateParams = z.strictObject({ metadata: Metadata.nullable() });
export type ConversationUpdateParams = z.infer<typeof ConversationUpdateParams>;

export const ItemsCreateParams = z.strictObject({ items: z.array(InputItem).min(1).max(MAX_ITEMS_PER_CALL) });
export type ItemsCreateParams = z.infer<typeof ItemsCreateParams>;
