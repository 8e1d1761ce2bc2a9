/**
 * `GET /v1/models` and `GET /v1/models/{id}` through the openai SDK: the manifest's names, what Ollama has
 * pulled, and the OpenAI names that alias to the default model; an unknown model is a 404 naming it; with
 * Ollama down the names this server defines still answer. Checked against responses.openapi.json.
 */
import { describe, expect, it } from "vitest";
import { NotFoundError } from "openai";
import { sdkError, wireBody } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { useRunApp } from "../helpers/runs.js";
import { makeTestApp } from "../helpers/test-app.js";

describe("models", () => {
  const app = useRunApp({}, { models: ["llama3.2:3b", "granite3.3:8b", "hf.co/acme/tiny:Q4"] });

  it("lists the manifest's names, the pulled models and the OpenAI aliases, each once", async () => {
    const t = app();
    const page = await t.client.models.list();
    expectMatchesResponsesSchema(wireBody(page), "ListModelsResponse");
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["llama3.2", "nomic-embed-text", "llama3.2:3b", "granite3.3:8b", "gpt-4o", "gpt-4o-mini"]));
    expect(new Set(ids).size).toBe(ids.length);
    const pulled = page.data.find((m) => m.id === "granite3.3:8b")!;
    expectMatchesResponsesSchema(pulled, "Model");
    expect(pulled).toMatchObject({ object: "model", owned_by: "ollama" });
    expect(pulled.created).toBeGreaterThan(1_600_000_000);
  });

  it("retrieves one, any OpenAI name as an alias, a name with slashes too; an unknown one is a 404", async () => {
    const t = app();
    expect(await t.client.models.retrieve("llama3.2")).toMatchObject({ id: "llama3.2", owned_by: "local-assistants" });
    expect(await t.client.models.retrieve("gpt-4-turbo")).toMatchObject({ id: "gpt-4-turbo", object: "model" });
    expect((await t.client.models.retrieve("hf.co/acme/tiny:Q4")).owned_by).toBe("ollama");
    const missing = await sdkError(t.client.models.retrieve("no-such-model"), NotFoundError);
    expect(missing).toMatchObject({ param: "model", code: "model_not_found" });
  });

  it("with Ollama unreachable, the manifest's names and the aliases still answer", async () => {
    const t = await makeTestApp({ OLLAMA_HOST: "http://127.0.0.1:9", EMBEDDING_MODEL: "" });
    try {
      const ids = (await t.client.models.list()).data.map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining(["llama3.2", "gpt-4o"]));
    } finally {
      await t.close();
    }
  });
});
