/**
 * The app as the benchmarks drive it: real services over a temp DATA_DIR (no Ollama unless the env names
 * one, so vector stores are BM25 only), the official SDK calling it in-process through `app.request`, and
 * optionally a real loopback socket.
 */
import { rmSync } from "node:fs";
import type { Env } from "../src/config.js";
import type { ServiceOverrides } from "../src/composition/services.js";
import { listen, makeTestApp, type TestApp } from "../test/helpers/test-app.js";

/** The test harness's app (same wiring as the tests), whose close() also removes a temp DATA_DIR. */
export type BenchApp = TestApp;

/** `env.DATA_DIR` reuses (and keeps) an existing data directory; otherwise a temp one is made and removed. */
export async function openBenchApp(env: Env = {}, overrides: ServiceOverrides = {}): Promise<BenchApp> {
  const given = env.DATA_DIR !== undefined;
  const t = await makeTestApp({ EMBEDDING_MODEL: "", ...env }, overrides);
  return {
    ...t,
    close: async () => {
      await t.close();
      if (!given) rmSync(t.dataDir, { recursive: true, force: true });
    },
  };
}

/** Serves the app on 127.0.0.1 (OS-assigned port); returns its /v1 base URL. */
export const listenOn = listen;

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** Nearest-rank quantile. */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
