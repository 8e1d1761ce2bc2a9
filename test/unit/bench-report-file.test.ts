import { describe, expect, it } from "vitest";
import { withGenerated } from "../../bench/run-all.js";

describe("npm run bench writes its part of BENCHMARKS.md only", () => {
  const byHand = "# Benchmarks\n\n## Run overhead, measured by hand\n\nwhy and how much\n";

  it("puts the generated figures first in a file without them, losing nothing written by hand", () => {
    const out = withGenerated(byHand, "## Figures\n\n| a | 1 |\n");
    expect(out.startsWith("# Benchmarks\n")).toBe(true);
    expect(out.indexOf("## Figures")).toBeLessThan(out.indexOf("## Run overhead, measured by hand"));
    expect(out).toContain("why and how much");
  });

  it("replaces what it wrote before, and only that", () => {
    const first = withGenerated(byHand, "## Figures\n\n| old | 1 |\n");
    const edited = first.replace("why and how much", "why and how much, and a later note");
    const second = withGenerated(edited, "## Figures\n\n| new | 2 |\n");
    expect(second).toContain("| new | 2 |");
    expect(second).not.toContain("| old | 1 |");
    expect(second).toContain("why and how much, and a later note");
    expect(second.match(/## Figures/g)).toHaveLength(1);
  });

  it("starts a file that is not there", () => {
    expect(withGenerated(null, "## Figures\n")).toMatch(/^# Benchmarks\n\n<!--.*-->\n\n## Figures\n\n<!--.*-->\n$/);
  });
});
