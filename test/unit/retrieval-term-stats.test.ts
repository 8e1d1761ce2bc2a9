/**
 * The word statistics query expansion scores with (src/retrieval/term-stats.ts), and the sample of a big
 * store's rows they are counted from (sampleTexts in src/retrieval/lance-index.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterEach, describe, expect, it } from "vitest";
import { sampleTexts } from "../../src/retrieval/store-term-stats.js";
import { TermStats } from "../../src/retrieval/term-stats.js";

describe("TermStats", () => {
  it("gives rare words a higher idf than common ones, unseen words the highest, function words none counted", () => {
    const stats = new TermStats(["engine oil", "engine torque", "engine oil filter", "the engine"]);
    expect(stats.chunks).toBe(4);
    expect(stats.idf("torque")).toBeGreaterThan(stats.idf("oil"));
    expect(stats.idf("oil")).toBeGreaterThan(stats.idf("engine"));
    expect(stats.idf("engine")).toBeGreaterThan(0); // in every chunk, yet never negative
    expect(stats.idf("gearbox")).toBeGreaterThan(stats.idf("torque"));
    expect(stats.averageLength()).toBeCloseTo(8 / 4); // "the" is not a content word
    expect(new TermStats().averageLength()).toBe(1);
  });
});

describe("sampleTexts", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads every row of a small table, and evenly spread runs of a big one", async () => {
    dir = mkdtempSync(join(tmpdir(), "sample-"));
    const db = await lancedb.connect(dir);
    const table = await db.createTable("t", Array.from({ length: 30 }, (_, i) => ({ text: `row ${i}` })));
    try {
      expect(await sampleTexts(table, 30, 40, 3)).toHaveLength(30);
      expect(await sampleTexts(table, 30, 6, 3)).toEqual(["row 0", "row 1", "row 10", "row 11", "row 20", "row 21"]);
    } finally {
      table.close();
      db.close();
    }
  });
});
