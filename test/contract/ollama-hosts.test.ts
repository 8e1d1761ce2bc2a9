/**
 * OLLAMA_HOSTS: several Ollama servers behind one API. Each call goes to the least busy host that has the
 * model; a host that stops answering is skipped (the call goes to another host) and left out for a while.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import { loadConfig, ConfigError } from "../../src/config.js";
import fs from "node:fs";

/** The Ollama tags models/manifest.json gives `llama3.2` and `qwen3`. */
const LLAMA = "llama3.2:3b";
const QWEN = "qwen3:8b";

describe("OLLAMA_HOSTS: several Ollama servers", () => {
  const fakes: OllamaFake[] = [];
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
    t = undefined;
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  async function hosts(...models: string[][]): Promise<OllamaFake[]> {
    const started = await Promise.all(models.map((m) => startOllamaFake({ models: m })));
    fakes.push(...started);
    return started;
  }

  const app = async (env: Record<string, string>) => (t = await makeTestApp(env));

  it("replies at once go to the least busy host: four slow replies are split two and two", async () => {
    const [a, b] = await hosts([LLAMA], [LLAMA]);
    for (const f of [a!, b!]) f.script(...Array.from({ length: 2 }, () => ({ chunks: ["slow", " reply"], delayMs: 150 })));
    const { client } = await app({ OLLAMA_HOSTS: `${a!.url},${b!.url}` });
    const replies = await Promise.all(Array.from({ length: 4 }, (_, i) => client.responses.create({ model: "llama3.2", input: `question ${i}` })));
    expect(replies.map((r) => r.output_text)).toEqual(Array(4).fill("slow reply"));
    expect([a!.chatRequests.length, b!.chatRequests.length]).toEqual([2, 2]);
  });

  it("a call goes to a host that has the model", async () => {
    const [a, b] = await hosts([LLAMA], [QWEN]);
    const { client } = await app({ OLLAMA_HOSTS: `${a!.url},${b!.url}` });
    for (let i = 0; i < 3; i++) expect((await client.responses.create({ model: "qwen3", input: `q${i}` })).output_text).toBe(`q${i}`);
    for (let i = 0; i < 3; i++) expect((await client.responses.create({ model: "llama3.2", input: `l${i}` })).output_text).toBe(`l${i}`);
    expect(a!.chatRequests.map((r) => r.model)).toEqual(Array(3).fill(LLAMA));
    expect(b!.chatRequests.map((r) => r.model)).toEqual(Array(3).fill(QWEN));
    // GET /v1/models lists what every host has.
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([LLAMA, QWEN]));
  });

  it("a host that stops answering is skipped: its calls go to the other host, and it is left out for a while", async () => {
    const [a, b] = await hosts([LLAMA], [LLAMA]);
    const { client, request } = await app({ OLLAMA_HOSTS: `${a!.url},${b!.url}` });
    expect((await client.responses.create({ model: "llama3.2", input: "warm up" })).status).toBe("completed");
    await a!.setDown(true);
    for (let i = 0; i < 4; i++) {
      const reply = await client.responses.create({ model: "llama3.2", input: `after ${i}` });
      expect(reply.status).toBe("completed");
      expect(reply.output_text).toBe(`after ${i}`);
    }
    await a!.setDown(false);
    const before = a!.chatRequests.length;
    for (let i = 0; i < 3; i++) await client.responses.create({ model: "llama3.2", input: `back ${i}` });
    expect(a!.chatRequests.length).toBe(before); // still left out: it failed moments ago
    const health = (await (await request("/health")).json()) as { ollama: { hosts: { host: string; reachable: boolean }[] } };
    expect(health.ollama.hosts.map((h) => ({ host: h.host, reachable: h.reachable }))).toEqual([{ host: a!.url, reachable: true }, { host: b!.url, reachable: true }]);
  });

  it("a reply that does not start in time is asked of the next host, and the silent host is left out for a while", async () => {
    const [a, b] = await hosts([LLAMA], [LLAMA]);
    a!.script({ hang: true });
    const { client } = await app({ OLLAMA_HOSTS: `${a!.url},${b!.url}`, MODEL_TIMEOUT_MS: "400" });
    const first = await client.responses.create({ model: "llama3.2", input: "first" });
    expect(first.status).toBe("completed");
    expect(first.output_text).toBe("first");
    expect([a!.chatRequests.length, b!.chatRequests.length]).toEqual([1, 1]); // asked a, which said nothing, then b
    for (let i = 0; i < 3; i++) expect((await client.responses.create({ model: "llama3.2", input: `next ${i}` })).output_text).toBe(`next ${i}`);
    expect([a!.chatRequests.length, b!.chatRequests.length]).toEqual([1, 4]);
  });

  it("with every host down the run fails saying the host cannot be reached", async () => {
    const [a, b] = await hosts([LLAMA], [LLAMA]);
    const { client } = await app({ OLLAMA_HOSTS: `${a!.url},${b!.url}` });
    await a!.setDown(true);
    await b!.setDown(true);
    const reply = await client.responses.create({ model: "llama3.2", input: "anyone?" });
    expect(reply.status).toBe("failed");
    expect(reply.error?.message).toMatch(/reach|Ollama/i);
  });

  it("bad lists and LLM_BACKEND=auto with several hosts are configuration errors", () => {
    expect(() => loadConfig({ OLLAMA_HOSTS: "http://a:11434,ftp://b" })).toThrow(ConfigError);
    expect(() => loadConfig({ OLLAMA_HOSTS: " , " })).toThrow(/lists no host/);
    expect(() => loadConfig({ OLLAMA_HOSTS: "http://a:11434,http://b:11434", LLM_BACKEND: "auto" })).toThrow(/LLM_BACKEND=ollama/);
    const config = loadConfig({ OLLAMA_HOSTS: "http://a:11434/, http://b:11434" });
    expect(config.ollama.hosts).toEqual(["http://a:11434", "http://b:11434"]);
    expect(config.llm.backend).toBe("ollama");
  });
});
