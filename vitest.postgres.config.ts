import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The contract suite once more, with every test app's objects in PostgreSQL (a throwaway cluster, a schema per
 * app) instead of SQLite: one store interface, two implementations, one suite. Left out: what only SQLite has
 * (its page encryption, its own disk-full limit, a test that opens the SQLite file itself) and tests that start
 * the server as a child process (their environment is their own).
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ["test/contract/**/*.test.ts"],
    exclude: [
      "**/node_modules/**",
      "test/contract/encryption.test.ts",
      "test/contract/disk-full.test.ts",
      "test/contract/vector-stores-durability.test.ts",
      "test/contract/wal-checkpoints.test.ts",
      "test/contract/built-server.test.ts",
    ],
    globalSetup: ["test/helpers/postgres-global-setup.ts"],
  },
});
