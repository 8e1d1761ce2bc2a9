import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The reliability suite has its own config and command (npm run test:reliability).
    exclude: ["test/reliability/**", "**/node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores on CI: keep parallelism modest so timing-sensitive tests (cancel, expiry) stay reliable.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
    // Every temporary directory a test file makes is removed when it ends (test/helpers/temp-root.ts).
    setupFiles: ["test/helpers/temp-root.ts"],
  },
});
