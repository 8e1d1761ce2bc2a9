import { startPostgresCluster, type PostgresCluster } from "./postgres-cluster.js";

/**
 * vitest globalSetup of the PostgreSQL suite (vitest.postgres.config.ts): one throwaway cluster for the whole
 * run. Test apps (test-app.ts) then keep their objects in it, each in its own schema.
 */
let cluster: PostgresCluster | undefined;

export async function setup(): Promise<void> {
  cluster = await startPostgresCluster();
  process.env.TEST_DATABASE_URL = cluster.url;
}

export function teardown(): void {
  cluster?.stop();
}
