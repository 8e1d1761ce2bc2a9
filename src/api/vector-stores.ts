import { z } from "zod";
import { ChunkingStrategy, ListQuery, Metadata } from "./common.js";

const ExpiresAfter = z.strictObject({ anchor: z.literal("last_active_at"), days: z.int().min(1).max(365) });

export const Attributes = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 16, "attributes can have at most 16 keys");

export const VectorStoreCreateParams = z.strictObject({
  name: z.string().max(256).optional(),
  file_ids: z.array(z.string()).max(500).optional(),
  chunking_strategy: ChunkingStrategy.optional(),
  expires_after: ExpiresAfter.optional(),
  metadata: Metadata.nullable().optional(),
});
export type VectorStoreCreateParams = z.infer<typeof VectorStoreCreateParams>;

export const VectorStoreUpdateParams = z.strictObject({
  name: z.string().max(256).nullable().optional(),
  expires_after: ExpiresAfter.nullable().optional(),
  metadata: Metadata.nullable().optional(),
});

export const VectorStoreFileCreateParams = z.strictObject({
  file_id: z.string().min(1),
  chunking_strategy: ChunkingStrategy.optional(),
  attributes: Attributes.nullable().optional(),
});
export type VectorStoreFileCreateParams = z.infer<typeof VectorStoreFileCreateParams>;

export const VectorStoreFileUpdateParams = z.strictObject({ attributes: Attributes.nullable() });

export const FileBatchCreateParams = z
  .strictObject({
    file_ids: z.array(z.string().min(1)).min(1).max(2000).optional(),
    files: z.array(VectorStoreFileCreateParams).min(1).max(2000).optional(),
    chunking_strategy: ChunkingStrategy.optional(),
    attributes: Attributes.nullable().optional(),
  })
  .refine((p) => (p.file_ids === undefined) !== (p.files === undefined), {
    message: "give exactly one of file_ids or files",
    path: ["file_ids"],
  });
export type FileBatchCreateParams = z.infer<typeof FileBatchCreateParams>;

export const VectorStoreFileListQuery = ListQuery.extend({
  filter: z.enum(["in_progress", "completed", "failed", "cancelled"]).optional(),
});

const ComparisonFilter = z.strictObject({
  type: z.enum(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]),
  key: z.string().min(1).max(64),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])).max(100)]),
});
export type ComparisonFilter = z.infer<typeof ComparisonFilter>;
export type AttributeFilter = ComparisonFilter | { type: "and" | "or"; filters: AttributeFilter[] };
export const AttributeFilter: z.ZodType<AttributeFilter> = z.lazy(() =>
  z.union([ComparisonFilter, z.strictObject({ type: z.enum(["and", "or"]), filters: z.array(AttributeFilter).max(32) })]),
);

export const VectorStoreSearchParams = z.strictObject({
  query: z.union([z.string().min(1).max(4096), z.array(z.string().min(1).max(4096)).min(1).max(8)]),
  rewrite_query: z.boolean().optional(),
  max_num_results: z.int().min(1).max(50).optional(),
  filters: AttributeFilter.optional(),
  ranking_options: z
    .strictObject({
      ranker: z.enum(["none", "auto", "default-2024-11-15"]).optional(),
      score_threshold: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type VectorStoreSearchParams = z.infer<typeof VectorStoreSearchParams>;
