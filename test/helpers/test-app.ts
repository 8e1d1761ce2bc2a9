import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { createLingeringHttpServer } from "../../src/http/lingering-close.js";
import { webSocketServer } from "../../src/http/responses-socket.js";
import OpenAI from "openai";
import type { Hono } from "hono";
import { createApp } from "../../src/app.js";
import { loadConfig, type Env } from "../../src/config.js";
import { createServices, type AppServices, type ServiceOverrides } from "../../src/composition/services.js";

export interface TestApp {
  app: Hono;
  services: AppServices;
  /** The official SDK, calling the app in-process through its `fetch` option. */
  client: OpenAI;
  dataDir: string;
  /** Raw in-process request helper for what the SDK cannot send (bad JSON, wrong methods…). */
  request(pathname: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export const BASE_URL = "http://local-assistants.test/v1";

/** A fresh app per test: its own temp DATA_DIR and SQLite file, nothing shared. */
export async function makeTestApp(env: Env = {}, overrides: ServiceOverrides = {}): Promise<TestApp> {
  const dataDir = (env.DATA_DIR as string | undefined) ?? fs.mkdtempSync(path.join(os.tmpdir(), "la-test-"));
  // Ollama's behaviour is what most tests check: LLM_BACKEND=auto would answer from the embedded engine instead.
  const config = loadConfig({ OLLAMA_HOST: "http://127.0.0.1:9", LLM_BACKEND: "ollama", ...postgresFor(dataDir), ...env, DATA_DIR: dataDir });
  const services = await createServices(config, overrides);
  const app = createApp(services);
  const request = async (pathname: string, init?: RequestInit): Promise<Response> =>
    app.request(new URL(pathname, "http://local-assistants.test").toString(), init);
  const client = new OpenAI({
    apiKey: config.apiKey ?? "test-key",
    baseURL: BASE_URL,
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(app.request(String(url), init as RequestInit)),
  });
  return {
    app,
    services,
    client,
    dataDir,
    request,
    close: async () => {
      await services.close();
    },
  };
}

/**
 * Under the PostgreSQL suite (vitest.postgres.config.ts sets TEST_DATABASE_URL), an app keeps its objects in
 * the schema named after its DATA_DIR: a fresh one per app, and the same one for an app restarted on the same
 * directory, as its SQLite file would be.
 */
export function postgresFor(dataDir: string): Env {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return {};
  return { DATABASE_URL: url, DATABASE_SCHEMA: `t_${createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 24)}` };
}

/** Serves an app on a real loopback socket, for tests that must cross the network stack. */
export async function listen(app: Hono): Promise<{ baseURL: string; close(): Promise<void> }> {
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    const websocket = webSocketServer(1024 * 1024);
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0, createServer: createLingeringHttpServer, websocket }, (info) => resolve(info.port));
  });
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => server!.close(() => resolve())),
  };
}
