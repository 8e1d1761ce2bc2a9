import type { AttributeFilter } from "../api/vector-stores.js";
import type { FileAttributes } from "../api/wire.js";

/** A filter made into a test of one file's attributes. */
export type AttributePredicate = (attributes: FileAttributes) => boolean;

/**
 * Compiles a search `filters` object once per search into a predicate that each file of the store is tested
 * with: the JSON is walked once, `in`/`nin` lists become Sets, so testing a file costs a few comparisons per
 * node (the schema bounds the nodes: api/vector-stores.ts FILTER_LIMITS). Filtering happens here, in code, over
 * validated values: the index only ever sees the resulting list of file ids.
 */
export function compileFilter(filter: AttributeFilter): AttributePredicate {
  if ("filters" in filter) {
    const parts = filter.filters.map(compileFilter);
    return filter.type === "and" ? (a) => parts.every((p) => p(a)) : (a) => parts.some((p) => p(a));
  }
  const { key, value: expected } = filter;
  switch (filter.type) {
    case "eq":
      return (a) => a[key] === expected;
    case "ne":
      return (a) => a[key] !== expected;
    case "in":
    case "nin": {
      // A scalar `value` with in/nin matches nothing (in) or everything (nin), as before.
      const values = new Set<unknown>(Array.isArray(expected) ? expected : []);
      const member = (a: FileAttributes): boolean => {
        const actual = a[key];
        return actual !== undefined && typeof actual !== "boolean" && values.has(actual);
      };
      return filter.type === "in" ? member : (a) => !member(a);
    }
    default: {
      const op = filter.type;
      return (a) => compare(op, a[key], expected);
    }
  }
}

function compare(op: "gt" | "gte" | "lt" | "lte", actual: unknown, expected: unknown): boolean {
  const comparable = (typeof actual === "number" && typeof expected === "number") || (typeof actual === "string" && typeof expected === "string");
  if (!comparable) return false;
  const a = actual as number | string;
  const e = expected as number | string;
  if (op === "gt") return a > e;
  if (op === "gte") return a >= e;
  if (op === "lt") return a < e;
  return a <= e;
}
