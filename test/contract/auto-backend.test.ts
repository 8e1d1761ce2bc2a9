/**
 * LLM_BACKEND=auto, the default: chat goes to Ollama while it answers and to the embedded engine (real inference on
 * stories260K.gguf) when it does not, decided per call, so Ollama stopping mid-session is followed; /health says
 * which one serves. Embeddings are decided once at boot.
 */
import fs from "node:fs";
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
  async function open(ollama: OllamaFake | null): Promise<TestApp> {
    const t = await makeTestApp({ LLM_BACKEND: "auto", OLLAMA_HOST: ollama?.url ?? "http://127.0.0.1:9", EMBEDDED_CHAT_MODEL: MODEL, EMBEDDED_EMBEDDING_MODEL: MODEL, EMBEDDED_THREADS: "1" });
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
});
