/**
 * `POST /v1/embeddings` through the openai SDK (which asks for base64 and decodes it): OpenAI's embedding names
 * run on the default embedding model, arrays keep their order, float and base64 agree, usage counts tokens;
 * token arrays, empty strings, other dimensions and unknown models are errors naming the field.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError } from "openai";
import { sdkError } from "../helpers/contract.js";
import { expectMatchesResponsesSchema } from "../helpers/openapi.js";
import { useRunApp } from "../helpers/runs.js";

describe("embeddings", () => {
  const app = useRunApp();

  it("embeds a string and arrays on the default embedding model; float and base64 give the same vectors", async () => {
    const t = app();
    const one = await t.client.embeddings.create({ model: "text-embedding-3-small", input: "hello world" });
    expectMatchesResponsesSchema(one, "CreateEmbeddingResponse");
    expect(one.model).toBe("text-embedding-3-small");
    expect(one.data).toHaveLength(1);
    expect(one.data[0]!.embedding).toHaveLength(64);
    expect(one.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(t.ollama.embedRequests.at(-1)).toMatchObject({ model: "nomic-embed-text", input: ["hello world"] });

    const many = await t.client.embeddings.create({ model: "nomic-embed-text", input: ["a", "b", "hello world"], encoding_format: "float" });
    expect(many.data.map((d) => d.index)).toEqual([0, 1, 2]);
    // base64 carries float32s: the same vector to float32 precision.
    many.data[2]!.embedding.forEach((x, i) => expect(one.data[0]!.embedding[i]).toBeCloseTo(x, 5));
    expect(many.data[0]!.embedding).not.toEqual(many.data[1]!.embedding);
    expect((await t.client.embeddings.create({ model: "nomic-embed-text", input: "x", dimensions: 64 })).data[0]!.embedding).toHaveLength(64);
  });

  it("refuses token arrays, empty strings, other dimensions and unknown models, naming the field", async () => {
    const t = app();
    expect((await sdkError(t.client.embeddings.create({ model: "nomic-embed-text", input: [1, 2, 3] }), BadRequestError)).param).toBe("input");
    expect((await sdkError(t.client.embeddings.create({ model: "nomic-embed-text", input: ["ok", ""] }), BadRequestError)).param).toBe("input[1]");
    expect((await sdkError(t.client.embeddings.create({ model: "nomic-embed-text", input: "x", dimensions: 256 }), BadRequestError)).param).toBe("dimensions");
    const missing = await sdkError(t.client.embeddings.create({ model: "no-such-embedder", input: "x" }), NotFoundError);
    expect(missing).toMatchObject({ param: "model", code: "model_not_found" });
  });
});
