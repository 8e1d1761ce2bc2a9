/**
 * The app as the benchmarks drive it: real services over a temp DATA_DIR (no Ollama unless the env names
 * one, so vector stores are BM25 only), the official SDK calling it in-process through `app.request`, and
 * optionally a real loopback socket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import OpenAI from "openai";
import type { Hono } from "hono";
import { createApp } from "../src/app.js";
import { loadConfig, type Env } from "../src/config.js";
import { createServices, type AppServices } from "../src/services.js";

export interface BenchApp {
  app: Hono;
  services: AppServices;
  /** SDK client calling the app in-process (no socket). */
  client: OpenAI;
  dataDir: string;
  close(): Promise<void>;
}

/** `env.DATA_DIR` reuses (and keeps) an existing data directory; otherwise a temp one is made and removed. */
export async function openBenchApp(env: Env = {}): Promise<BenchApp> {
  const given = env.DATA_DIR as string | undefined;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), "la-bench-"));
  const config = loadConfig({ OLLAMA_HOST: "http://127.0.0.1:9", EMBEDDING_MODEL: "", ...env, DATA_DIR: dataDir });
  const services = await createServices(config);
  const app = createApp(services);
  const client = new OpenAI({
    apiKey: config.apiKey ?? "bench",
    baseURL: "http://bench.local/v1",
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(app.request(String(url), init as RequestInit)),
  });
  return {
    app,
    services,
    client,
    dataDir,
    close: async () => {
      await services.close();
      if (!given) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Serves the app on 127.0.0.1 (OS-assigned port); returns its /v1 base URL. */
export async function listenOn(app: Hono): Promise<{ baseURL: string; close(): Promise<void> }> {
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve(info.port));
  });
  return { baseURL: `http://127.0.0.1:${port}/v1`, close: () => new Promise<void>((resolve) => server!.close(() => resolve())) };
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** Nearest-rank quantile. */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
