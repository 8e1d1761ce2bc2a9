import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { makeTestApp } from "../helpers/test-app.js";

/** INGESTION_CONCURRENCY reaches the Ingestor: that many lanes index different stores' files side by side. */
describe("INGESTION_CONCURRENCY", () => {
  for (const [env, lanes] of [[{}, 2], [{ INGESTION_CONCURRENCY: "1" }, 1], [{ INGESTION_CONCURRENCY: "5" }, 5]] as const) {
    it(`${JSON.stringify(env)} → ${lanes} lane(s)`, async () => {
      const t = await makeTestApp(env);
      try {
        expect((t.services.ingestor as unknown as { lanes: unknown[] }).lanes).toHaveLength(lanes);
      } finally {
        await t.close();
        fs.rmSync(t.dataDir, { recursive: true, force: true });
      }
    });
  }
});
