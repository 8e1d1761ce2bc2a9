/**
 * The compiled filter (one walk per search, Sets for in/nin) decides exactly as the filter's plain meaning:
 * checked against a direct recursive reading of it on random filters and attributes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AttributeFilter } from "../../src/api/vector-stores.js";
import type { FileAttributes } from "../../src/api/wire.js";
import { compileFilter } from "../../src/retrieval/attribute-filter.js";

/** The meaning of a filter, read directly off it (what the server did before filters were compiled). */
function reference(f: AttributeFilter, a: FileAttributes): boolean {
  if ("filters" in f) return f.type === "and" ? f.filters.every((g) => reference(g, a)) : f.filters.some((g) => reference(g, a));
  const actual = a[f.key];
  const v = f.value;
  const member = Array.isArray(v) && actual !== undefined && typeof actual !== "boolean" && (v as unknown[]).includes(actual);
  switch (f.type) {
    case "eq":
      return actual === v;
    case "ne":
      return actual !== v;
    case "in":
      return member;
    case "nin":
      return !member;
    default: {
      const ok = (typeof actual === "number" && typeof v === "number") || (typeof actual === "string" && typeof v === "string");
      if (!ok) return false;
      const [x, y] = [actual as number | string, v as number | string];
      return f.type === "gt" ? x > y : f.type === "gte" ? x >= y : f.type === "lt" ? x < y : x <= y;
    }
  }
}

const key = fc.constantFrom("topic", "year", "public", "missing");
const scalar = fc.oneof(fc.constantFrom("geo", "food", "space", ""), fc.integer({ min: 2018, max: 2024 }), fc.boolean());
const comparison: fc.Arbitrary<AttributeFilter> = fc.record({
  type: fc.constantFrom("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"),
  key,
  value: fc.oneof(scalar, fc.array(fc.oneof(fc.constantFrom("geo", "food", "space"), fc.integer({ min: 2018, max: 2024 })), { maxLength: 4 })),
}) as fc.Arbitrary<AttributeFilter>;
const filter: fc.Arbitrary<AttributeFilter> = fc.letrec<{ f: AttributeFilter }>((tie) => ({
  f: fc.oneof({ depthSize: "small", withCrossShrink: true }, comparison, fc.record({ type: fc.constantFrom("and" as const, "or" as const), filters: fc.array(tie("f"), { maxLength: 4 }) })),
})).f;
const attributes: fc.Arbitrary<FileAttributes> = fc.record(
  { topic: fc.constantFrom("geo", "food", "space"), year: fc.integer({ min: 2018, max: 2024 }), public: fc.boolean() },
  { requiredKeys: [] },
);

describe("compileFilter", () => {
  it("agrees with the filter's direct meaning on every file", () => {
    fc.assert(
      fc.property(filter, fc.array(attributes, { minLength: 1, maxLength: 8 }), (f, files) => {
        const matches = compileFilter(f);
        for (const a of files) expect(matches(a)).toBe(reference(f, a));
      }),
      { numRuns: 2000 },
    );
  });

  it("in/nin with a scalar value match nothing / everything, as before", () => {
    expect(compileFilter({ type: "in", key: "topic", value: "geo" })({ topic: "geo" })).toBe(false);
    expect(compileFilter({ type: "nin", key: "topic", value: "geo" })({ topic: "geo" })).toBe(true);
    expect(compileFilter({ type: "in", key: "year", value: [2019, "2020"] })({ year: 2020 })).toBe(false);
  });
});
