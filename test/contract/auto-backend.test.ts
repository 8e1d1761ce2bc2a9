/**
 * LLM_BACKEND=auto, the default: chat goes to Ollama while it answers and to the embedded engine (real inference on
 * stories260K.gguf) when it does not, decided per call, so Ollama stopping mid-session is followed; /health says
 * which one serves. Embeddings are decided once at boot.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const MODEL = path.resolve("test/fixtures/models/stories260K.gguf");

describe("LLM_BACKEND=auto", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function open(ollama: OllamaFake | null, env: Record<string, string> = {}): Promise<TestApp> {
    const t = await makeTestApp({ LLM_BACKEND: "auto", OLLAMA_HOST: ollama?.url ?? "http://127.0.0.1:9", EMBEDDED_CHAT_MODEL: MODEL, EMBEDDED_EMBEDDING_MODEL: MODEL, EMBEDDED_THREADS: "1", ...env });
    cleanups.push(async () => {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    });
    return t;
  }
  const ask = (t: TestApp) => t.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Once upon a time" }], max_completion_tokens: 8, temperature: 0 });

  it("with no Ollama, the embedded engine answers; /health says so", async () => {
    const t = await open(null);
    const answer = await ask(t);
    expect(answer.usage!.completion_tokens).toBe(8);
    expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const health = (await (await t.request("/health")).json()) as Record<string, any>;
    expect(health).toMatchObject({ backend: "auto", serving: "embedded", embeddings: "embedded", ollama: { reachable: false }, embedded: { loaded: ["stories260K.gguf"] } });
  }, 60_000);

  it("Ollama answers while it is up; once it stops, the next calls go to the embedded engine", async () => {
    const ollama = await startOllamaFake({ models: ["llama3.2:3b"] });
    cleanups.push(() => ollama.close());
    const t = await open(ollama);
    ollama.script({ text: "From Ollama." });
    expect((await ask(t)).choices[0]!.message.content).toBe("From Ollama.");
    expect((await (await t.request("/health")).json()).serving).toBe("ollama");

    await ollama.setDown(true);
    await new Promise((r) => setTimeout(r, 2100)); // past the reachability check's 2 s memory
    const fallback = await ask(t);
    expect(fallback.choices[0]!.message.content).not.toBe("From Ollama.");
    expect(fallback.usage!.completion_tokens).toBe(8);
    expect(ollama.chatRequests).toHaveLength(1);
  }, 60_000);

  describe("a name the manifest maps to both an Ollama tag and a GGUF", () => {
    // EMBEDDED_CHAT_MODEL names a file that is not there: a reply from the embedded engine can only come from the
    // manifest's GGUF for the name asked for.
    function manifest(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "la-manifest-"));
      const file = path.join(dir, "manifest.json");
      fs.writeFileSync(file, JSON.stringify({
        default_chat_model: "toy",
        default_embedding_model: "toy-embed",
        chat_models: {
          toy: { ollama: "toy:1m", gguf: MODEL, context_length: 256 },
          "toy-file": { gguf: MODEL, context_length: 256 },
        },
        embedding_models: { "toy-embed": { ollama: "toy-embed", gguf: MODEL, dims: 64 } },
      }));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      return file;
    }
    const env = () => ({ MODELS_FILE: manifest(), EMBEDDED_CHAT_MODEL: "not-downloaded.gguf" });
    const askFor = (t: TestApp, model: string) => t.client.chat.completions.create({ model, messages: [{ role: "user", content: "Once upon a time" }], max_completion_tokens: 8, temperature: 0 });

    it("goes to Ollama when Ollama has the tag pulled, else to the GGUF; a name with only a GGUF never goes to Ollama", async () => {
      const ollama = await startOllamaFake({ models: ["toy:1m"], embeddingModels: ["toy-embed"], embeddingDims: 16 });
      cleanups.push(() => ollama.close());
      const t = await open(ollama, env());
      ollama.script({ text: "From Ollama." });
      expect((await askFor(t, "toy")).choices[0]!.message.content).toBe("From Ollama.");
      expect(ollama.chatRequests.map((r) => r.model)).toEqual(["toy:1m"]);
      const embedded = await askFor(t, "toy-file");
      expect(embedded.usage!.completion_tokens).toBe(8);
      expect(ollama.chatRequests).toHaveLength(1);
      // Embeddings too: Ollama's 16-dimensional vectors while it has the model.
      const fromOllama = await t.client.embeddings.create({ model: "toy-embed", input: "a story" });
      expect(fromOllama.data[0]!.embedding).toHaveLength(16);
    }, 60_000);

    it("with Ollama up but without the tag, the GGUF answers (chat and embeddings)", async () => {
      const ollama = await startOllamaFake({ models: ["llama3.2:3b"], embeddingModels: ["nomic-embed-text"], embeddingDims: 16 });
      cleanups.push(() => ollama.close());
      const t = await open(ollama, env());
      const answer = await askFor(t, "toy");
      expect(answer.usage!.completion_tokens).toBe(8);
      expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
      expect(ollama.chatRequests).toHaveLength(0);
      const vectors = await t.client.embeddings.create({ model: "toy-embed", input: ["a story", "another"] });
      expect(vectors.data).toHaveLength(2);
      expect(vectors.data[0]!.embedding.length).not.toBe(16); // the GGUF's own size, not the fake's
      expect(ollama.embedRequests).toHaveLength(0);
    }, 60_000);

    it("with no Ollama at all, a mapped name runs its GGUF while an unmapped one runs EMBEDDED_CHAT_MODEL (here missing: a clear error)", async () => {
      const t = await open(null, env());
      expect((await askFor(t, "toy")).usage!.completion_tokens).toBe(8);
      const err = await askFor(t, "llama3.1").catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 404 });
      expect(String((err as Error).message)).toContain("not-downloaded.gguf");
    }, 60_000);
  });
});
