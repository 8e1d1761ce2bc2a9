/** OllamaEmbedder, probeOllama and the fake's own wire fidelity, over HTTP against the Ollama fake. */
import { createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OllamaEmbedder } from "../../src/llm/ollama-embedder.js";
import { probeOllama } from "../../src/llm/ollama-probe.js";
import { hashEmbedding, startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";

let fake: OllamaFake;

beforeEach(async () => {
  fake = await startOllamaFake({ models: ["llama3.2", "qwen2.5:7b"] });
});
afterEach(() => fake.close());

describe("OllamaEmbedder", () => {
  it("batches inputs and keeps their order", async () => {
    const embedder = new OllamaEmbedder({ host: fake.url, model: "nomic-embed-text", batchSize: 64 });
    const texts = Array.from({ length: 150 }, (_, i) => `passage number ${i} about topic ${i % 7}`);
    const vectors = await embedder.embed(texts);
    expect(fake.embedRequests.map((r) => r.input.length)).toEqual([64, 64, 22]);
    expect(fake.embedRequests[2]?.input[0]).toBe(texts[128]);
    expect(vectors).toEqual(texts.map((t) => hashEmbedding(t, 64)));
  });

  it("makes no request for no input", async () => {
    const embedder = new OllamaEmbedder({ host: fake.url, model: "nomic-embed-text" });
    expect(await embedder.embed([])).toEqual([]);
    expect(fake.embedRequests).toHaveLength(0);
  });

  it("maps errors like the chat model", async () => {
    const missing = new OllamaEmbedder({ host: fake.url, model: "mxbai-embed-large" });
    await expect(missing.embed(["x"])).rejects.toMatchObject({
      kind: "model_not_found",
      message: "Model 'mxbai-embed-large' is not available in Ollama: run `ollama pull mxbai-embed-large`.",
    });
    await fake.setDown(true);
    await expect(missing.embed(["x"])).rejects.toMatchObject({ kind: "unreachable" });
  });

  it("gives similar texts similar vectors (the fake's hashed bag of words)", async () => {
    const embedder = new OllamaEmbedder({ host: fake.url, model: "nomic-embed-text" });
    const [a, b, c] = await embedder.embed(["the cat sat on the mat", "a cat on a mat", "quarterly revenue report"]);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!));
  });
});

describe("probeOllama", () => {
  it("reports version and pulled models when reachable", async () => {
    expect(await probeOllama(fake.url)).toEqual({
      reachable: true,
      version: "0.12.3",
      models: ["llama3.2:latest", "qwen2.5:7b", "nomic-embed-text:latest"],
    });
  });

  it("reports unreachable without throwing", async () => {
    await fake.close();
    const probe = await probeOllama(fake.url, 500);
    expect(probe.reachable).toBe(false);
    expect(probe.models).toEqual([]);
    expect(probe.error).toContain(`not reachable at ${fake.url}`);
  });

  it("reports a silent host as unreachable after its timeout", async () => {
    const silent = await startSilentServer();
    const probe = await probeOllama(silent.url, 150);
    expect(probe).toMatchObject({ reachable: false, models: [] });
    expect(probe.error).toContain("not reachable");
    await silent.close();
  });
});

describe("the fake's protocol", () => {
  it("answers stream:false with one object holding the whole message", async () => {
    fake.script({ text: "all at once", toolCalls: [{ name: "f", arguments: { n: 1 } }] });
    const res = await post("/api/chat", { model: "llama3.2", messages: [], stream: false });
    expect(await res.json()).toMatchObject({
      model: "llama3.2",
      message: {
        role: "assistant",
        content: "all at once",
        tool_calls: [{ function: { name: "f", arguments: { n: 1 } } }],
      },
      done: true,
      done_reason: "stop",
    });
  });

  it("streams NDJSON lines, the last one with done stats; a failure is an error line on HTTP 200", async () => {
    fake.script({ chunks: ["a", " b"] }, { chunks: ["a"], errorLine: "boom" });
    const ok = await post("/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "x y z" }] });
    expect(ok.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await ok.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.message.content)).toEqual(["a", " b", ""]);
    expect(lines[0]).toMatchObject({ model: "llama3.2", done: false });
    expect(Object.keys(lines[2]).sort()).toEqual(
      ["created_at", "done", "done_reason", "eval_count", "eval_duration", "load_duration", "message", "model",
        "prompt_eval_count", "prompt_eval_duration", "total_duration"],
    );
    expect(lines[2]).toMatchObject({ prompt_eval_count: 3, eval_count: 2 });
    const failed = await post("/api/chat", { model: "llama3.2", messages: [] });
    expect(failed.status).toBe(200);
    expect((await failed.text()).trim().split("\n").map((l) => JSON.parse(l)).at(-1)).toEqual({ error: "boom" });
  });

  it("embeds a single string input and refuses chat with an embedding model", async () => {
    const res = await post("/api/embed", { model: "nomic-embed-text", input: "one text" });
    expect((await res.json()).embeddings).toEqual([hashEmbedding("one text", 64)]);
    const chat = await post("/api/chat", { model: "nomic-embed-text", messages: [] });
    expect(chat.status).toBe(400);
  });

  it("answers unknown models with Ollama's 404 text", async () => {
    const res = await post("/api/show", { model: "x" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'model "x" not found, try pulling it first' });
  });
});

const post = (path: string, body: unknown) =>
  fetch(`${fake.url}${path}`, { method: "POST", body: JSON.stringify(body) });

/** A server that accepts connections and never answers, like a wedged process. */
async function startSilentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
