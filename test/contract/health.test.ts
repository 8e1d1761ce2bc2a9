import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/contract.js";

describe("health", () => {
  // Port 9 (discard) on loopback: nothing answers Ollama's protocol there.
  const app = useTestApp({ OLLAMA_HOST: "http://127.0.0.1:9" });

  it("answers 200 ok and says Ollama is unreachable", async () => {
    const res = await app().request("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
    const body = (await res.json()) as { status: string; version: string; ollama: { reachable: boolean; models: string[]; error?: string } };
    expect(body).toMatchObject({ status: "ok", ollama: { reachable: false, models: [] } });
    expect(typeof body.version).toBe("string");
    expect(body.ollama.error).toMatch(/127\.0\.0\.1:9/);
  });

  it("is quick even though Ollama is down", async () => {
    const started = Date.now();
    await app().request("/health");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("health with API_KEY set", () => {
  const app = useTestApp({ OLLAMA_HOST: "http://127.0.0.1:9", API_KEY: "sk-health" });

  it("says only that the server is up without a valid key (no version, no Ollama or model details)", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Basic c2staGVhbHRo" }] as Record<string, string>[]) {
      const res = await app().request("/health", { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    }
  });

  it("gives version and Ollama details with the key", async () => {
    const res = await app().request("/health", { headers: { authorization: "Bearer sk-health" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; version: string; ollama: { reachable: boolean } };
    expect(body).toMatchObject({ status: "ok", ollama: { reachable: false } });
    expect(typeof body.version).toBe("string");
  });
});
