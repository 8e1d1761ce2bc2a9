/** The model manifest: public names to an Ollama tag and/or a GGUF, and what a bad entry gets at boot. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ModelCatalog } from "../../src/llm/model-catalog.js";

const NO_OVERRIDES = { chatModel: null, embeddingModel: null };

function load(manifest: unknown): ModelCatalog {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "la-catalog-")), "manifest.json");
  fs.writeFileSync(file, JSON.stringify(manifest));
  return ModelCatalog.load(file, NO_OVERRIDES);
}

const base = { default_chat_model: "both", default_embedding_model: "embed" };

describe("ModelCatalog", () => {
  const catalog = load({
    ...base,
    chat_models: {
      both: { ollama: "both:3b", gguf: "hf:org/repo/both-3b.gguf", context_length: 4096 },
      "gguf-only": { gguf: "only.gguf", context_length: 2048 },
      "ollama-only": { ollama: "plain:7b", context_length: 8192 },
    },
    embedding_models: { embed: { ollama: "embed", gguf: "embed.gguf", dims: 8 } },
  });

  it("asks the engines for the Ollama tag, or the GGUF when that is all the entry has", () => {
    expect(catalog.resolveChat("both")).toEqual({ tag: "both:3b", contextLength: 4096 });
    expect(catalog.resolveChat("gguf-only")).toEqual({ tag: "only.gguf", contextLength: 2048 });
    expect(catalog.resolveChat("gpt-4o").tag).toBe("both:3b"); // OpenAI names are the default model
  });

  it("gives the GGUF for a tag it maps, by the Ollama tag or the GGUF itself, and none for others", () => {
    expect(catalog.ggufFor("both:3b")).toBe("hf:org/repo/both-3b.gguf");
    expect(catalog.ggufFor("hf:org/repo/both-3b.gguf")).toBe("hf:org/repo/both-3b.gguf");
    expect(catalog.ggufFor("only.gguf")).toBe("only.gguf");
    expect(catalog.ggufFor(catalog.resolveEmbedding("embed")!)).toBe("embed.gguf");
    expect(catalog.ggufFor("plain:7b")).toBeNull();
    expect(catalog.ggufFor("anything-else")).toBeNull();
  });

  it("refuses at load an entry that names neither an Ollama tag nor a GGUF", () => {
    expect(() => load({ ...base, chat_models: { nowhere: { context_length: 10 } }, embedding_models: {} })).toThrow(/names neither an ollama tag nor a gguf/);
  });

  it("the shipped manifest loads, and its GGUFs are sources the embedded engine can fetch", () => {
    const shipped = ModelCatalog.load(path.resolve("models/manifest.json"), NO_OVERRIDES);
    const mapped = [...shipped.publicNames().chat, ...shipped.publicNames().embedding]
      .map((name) => shipped.ggufFor(shipped.resolveChat(name).tag) ?? shipped.ggufFor(shipped.resolveEmbedding(name) ?? ""))
      .filter((g): g is string => g !== null);
    expect(mapped.length).toBeGreaterThan(0);
    for (const gguf of mapped) expect(gguf).toMatch(/^hf:[^/]+\/[^/]+\/.+\.gguf$/);
  });
});
