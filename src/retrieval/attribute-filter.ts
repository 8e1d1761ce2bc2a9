import type { AttributeFilter } from "../api/vector-stores.js";
import type { FileAttributes } from "../api/wire.js";

/**
 * Evaluates a search `filters` object against one file's attributes. Filtering happens here, in code, over
 * validated values: the index only ever sees the resulting list of file ids.
 */
export function matchesFilter(filter: AttributeFilter, attributes: FileAttributes): boolean {
  if ("filters" in filter) {
    const test = (f: AttributeFilter): boolean => matchesFilter(f, attributes);
    return filter.type === "and" ? filter.filters.every(test) : filter.filters.some(test);
  }
  const actual = attributes[filter.key];
  const expected = filter.value;
  switch (filter.type) {
    case "eq":
      return actual === expected;
    case "ne":
      return actual !== expected;
    case "in":
      return Array.isArray(expected) && actual !== undefined && typeof actual !== "boolean" && expected.includes(actual);
    case "nin":
      return Array.isArray(expected) && !(actual !== undefined && typeof actual !== "boolean" && expected.includes(actual));
    default:
      return compare(filter.type, actual, expected);
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
