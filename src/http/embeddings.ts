import { Hono } from "hono";
import { EmbeddingCreateParams } from "../api/embeddings.js";
import type { EmbeddingsEndpoint } from "../llm/embeddings.js";
import { readJson } from "./validation.js";

/** Mounted at /v1/embeddings. */
export function embeddingsRouter(s: { embeddings: EmbeddingsEndpoint }): Hono {
  const app = new Hono();
  app.post("/", async (c) => c.json(await s.embeddings.create(await readJson(c, EmbeddingCreateParams))));
  return app;
}
