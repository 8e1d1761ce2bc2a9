import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { runDoctor } from "../../src/doctor/checks.js";
import { ModelCatalog } from "../../src/llm/model-catalog.js";
import { OllamaChatModel } from "../../src/llm/ollama-chat.js";
import { probeOllama } from "../../src/llm/ollama-probe.js";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const run = promisify(execFile);
let fake: OllamaFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function doctorFor(host: string, env: Record<string, string> = {}) {
  const config = loadConfig({ OLLAMA_HOST: host, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "la-doc-")), ...env });
  return runDoctor({
    config,
    models: ModelCatalog.load(config.models.manifestFile, config.models),
    chat: new OllamaChatModel({ host, timeoutMs: 2000 }),
    probe: () => probeOllama(host, 1000),
  });
}

describe("doctor", () => {
  it("reports no problem when Ollama has the chat and embedding models", async () => {
    fake = await startOllamaFake({ models: ["llama3.2:3b"], embeddingModels: ["nomic-embed-text:latest"] });
    const findings = await doctorFor(fake.url);
    expect(findings.filter((f) => f.level !== "ok")).toEqual([]);
    expect(findings.map((f) => f.what).join("\n")).toMatch(/context 131072 tokens/);
  });

  it("says which model to pull when the chat model is missing", async () => {
    fake = await startOllamaFake({ models: ["other:1b"], embeddingModels: [] });
    const findings = await doctorFor(fake.url);
    expect(findings).toContainEqual(expect.objectContaining({ level: "problem", fix: "ollama pull llama3.2:3b" }));
    expect(findings).toContainEqual(expect.objectContaining({ level: "warning", fix: "ollama pull nomic-embed-text" }));
  });

  it("warns when the model cannot call tools", async () => {
    fake = await startOllamaFake({ models: [{ name: "llama3.2:3b", capabilities: ["completion"] }] });
    const findings = await doctorFor(fake.url);
    expect(findings.find((f) => f.level === "warning" && /tool calling/.test(f.what))).toBeDefined();
  });

  it("tells to start Ollama when nothing listens, and the command exits 1", async () => {
    fake = await startOllamaFake();
    const host = fake.url;
    await fake.setDown(true);
    const findings = await doctorFor(host);
    expect(findings).toContainEqual(expect.objectContaining({ level: "problem", fix: expect.stringContaining("ollama serve") }));
    const result = await run("npx", ["tsx", "src/doctor.ts"], {
      env: { ...process.env, OLLAMA_HOST: host, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "la-doc-")) },
    }).catch((e: { code: number; stdout: string }) => e);
    expect("code" in result ? result.code : 0).toBe(1);
    expect(result.stdout).toMatch(/FAIL Ollama is not reachable/);
  });
});
