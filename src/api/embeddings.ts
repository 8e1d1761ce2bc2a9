import { z } from "zod";

/** `POST /v1/embeddings` (openai-node's EmbeddingCreateParams). Token arrays parse here and are refused by name. */
export const EmbeddingCreateParams = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.int().min(1).optional(),
  user: z.string().optional(),
});
export type EmbeddingCreateParams = z.infer<typeof EmbeddingCreateParams>;

export interface EmbeddingList {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
