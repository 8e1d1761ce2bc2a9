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

/**
 * Bounds of a search's attribute filter. A filter is evaluated against every file of the store, so its size is
 * work per file: unbounded, a 4 MB filter over 500 files held the event loop ~1.8 s per search. The limits sit
 * far above what a real filter needs (attribute keys and string values are at most 64 and 512 characters,
 * OpenAI's own limits on attributes; a few dozen comparisons express any practical query).
 */
export const FILTER_LIMITS = Object.freeze({ depth: 8, nodes: 256, inValues: 100, stringChars: 512 });

// Lengths are checked by the whole-filter walk below, which can say which limit a value broke (a union's
// own error would only say "Invalid input").
const ComparisonFilter = z.strictObject({
  type: z.enum(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]),
  key: z.string().min(1).max(64),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
});
export type ComparisonFilter = z.infer<typeof ComparisonFilter>;
export type AttributeFilter = ComparisonFilter | { type: "and" | "or"; filters: AttributeFilter[] };
const FilterNode: z.ZodType<AttributeFilter> = z.lazy(() =>
  z.union([ComparisonFilter, z.strictObject({ type: z.enum(["and", "or"]), filters: z.array(FilterNode).max(32) })]),
);
/** A whole filter: its nodes and nesting counted once, before anything evaluates it. */
export const AttributeFilter: z.ZodType<AttributeFilter> = FilterNode.superRefine((filter, ctx) => {
  let nodes = 0;
  let deepest = 0;
  let valueProblem: string | null = null;
  const walk = (f: AttributeFilter, depth: number): void => {
    nodes += 1;
    deepest = Math.max(deepest, depth);
    if ("filters" in f) {
      for (const child of f.filters) walk(child, depth + 1);
      return;
    }
    const values = Array.isArray(f.value) ? f.value : [f.value];
    if (Array.isArray(f.value) && f.value.length > FILTER_LIMITS.inValues) {
      valueProblem ??= `the value of a '${f.type}' filter on '${f.key}' lists ${f.value.length} values; at most ${FILTER_LIMITS.inValues} are allowed`;
    } else if (values.some((v) => typeof v === "string" && v.length > FILTER_LIMITS.stringChars)) {
      valueProblem ??= `a string value of the filter on '${f.key}' is longer than ${FILTER_LIMITS.stringChars} characters`;
    }
  };
  walk(filter, 1);
  if (valueProblem !== null) {
    ctx.addIssue({ code: "custom", message: valueProblem });
  } else if (deepest > FILTER_LIMITS.depth) {
    ctx.addIssue({ code: "custom", message: `filters nest ${deepest} levels deep; at most ${FILTER_LIMITS.depth} are allowed` });
  } else if (nodes > FILTER_LIMITS.nodes) {
    ctx.addIssue({ code: "custom", message: `filters have ${nodes} comparison and compound filters; at most ${FILTER_LIMITS.nodes} are allowed` });
  }
});

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
