import { defineConfig } from "vitest/config";

/** The reliability suite (npm run test:reliability): fuzzing, crash recovery, concurrency, model faults. */
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Every temporary directory a test file makes is removed when it ends (test/helpers/temp-root.ts).
    setupFiles: ["test/helpers/temp-root.ts"],
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
  },
});
