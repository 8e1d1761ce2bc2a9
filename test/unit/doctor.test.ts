import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { runDoctor } from "../../src/doctor/checks.js";
import { checkTls } from "../../src/doctor/tls.js";
import { ModelCatalog } from "../../src/llm/model-catalog.js";
import { OllamaChatModel } from "../../src/llm/ollama-chat.js";
import { probeOllama } from "../../src/llm/ollama-probe.js";
import { startOllamaFake, type OllamaFake } from "../fakes/ollama-fake.js";
import { makeSelfSignedCert, type TestCert } from "../helpers/tls-cert.js";
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

  it("calls an embedding-only CHAT_MODEL a problem", async () => {
    fake = await startOllamaFake({ models: [{ name: "llama3.2:3b", capabilities: ["embedding"] }] });
    const findings = await doctorFor(fake.url);
    expect(findings).toContainEqual(expect.objectContaining({ level: "problem", what: "Model 'llama3.2:3b' is an embedding model and cannot chat." }));
  });

  it("tells to start Ollama when nothing listens, and the command exits 1", async () => {
    fake = await startOllamaFake();
    const host = fake.url;
    await fake.setDown(true);
    const findings = await doctorFor(host, { LLM_BACKEND: "ollama" });
    expect(findings).toContainEqual(expect.objectContaining({ level: "problem", fix: expect.stringContaining("ollama serve") }));
    const result = await run("npx", ["tsx", "src/doctor.ts"], {
      env: { ...process.env, LLM_BACKEND: "ollama", OLLAMA_HOST: host, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "la-doc-")) },
    }).catch((e: { code: number; stdout: string }) => e);
    expect("code" in result ? result.code : 0).toBe(1);
    expect(result.stdout).toMatch(/FAIL Ollama is not reachable/);
  });

  it("with LLM_BACKEND=auto (the default), Ollama down is a warning: the embedded engine answers, its files checked", async () => {
    fake = await startOllamaFake();
    const host = fake.url;
    await fake.setDown(true);
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-doc-models-"));
    fs.copyFileSync("test/fixtures/models/stories260K.gguf", path.join(modelsDir, "stories260K.gguf"));
    const findings = await doctorFor(host, { MODELS_DIR: modelsDir, EMBEDDED_CHAT_MODEL: "stories260K.gguf", EMBEDDED_EMBEDDING_MODEL: "missing-embedder.gguf" });
    expect(findings).toContainEqual(expect.objectContaining({ level: "warning", what: expect.stringContaining("the embedded engine (llama.cpp in this process) answers instead") }));
    expect(findings).toContainEqual({ level: "ok", what: `Chat model ${path.join(modelsDir, "stories260K.gguf")}` });
    expect(findings).toContainEqual(expect.objectContaining({ level: "problem", what: `Embedding model file ${path.join(modelsDir, "missing-embedder.gguf")} does not exist.` }));
    const bm25Only = await doctorFor(host, { MODELS_DIR: modelsDir, EMBEDDED_CHAT_MODEL: "stories260K.gguf", EMBEDDED_EMBEDDING_MODEL: "" });
    expect(bm25Only.filter((f) => f.level === "problem")).toEqual([]);
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });
});

describe("doctor: TLS_CERT_FILE / TLS_KEY_FILE", () => {
  let short: TestCert; // valid 2 days (expires within 30)
  let long: TestCert; // valid 365 days
  const DAY = 86_400_000;
  const tlsOf = (cert: TestCert, keyFile = cert.keyFile) => ({ host: "127.0.0.1", allowPlaintext: false, tls: { certFile: cert.certFile, keyFile } });

  beforeAll(() => {
    short = makeSelfSignedCert({ days: 2 });
    long = makeSelfSignedCert({ days: 365, dir: short.dir, name: "long" });
  });
  afterAll(() => fs.rmSync(short.dir, { recursive: true, force: true }));

  it("a readable certificate with its key, valid beyond 30 days: ok, and part of the full run", async () => {
    expect(checkTls(tlsOf(long))).toEqual([{ level: "ok", what: expect.stringMatching(/^TLS: certificate for DNS:localhost, IP Address:127\.0\.0\.1 with its key, valid until /) }]);
    fake = await startOllamaFake({ models: ["llama3.2:3b"], embeddingModels: ["nomic-embed-text:latest"] });
    const findings = await doctorFor(fake.url, { TLS_CERT_FILE: long.certFile, TLS_KEY_FILE: long.keyFile });
    expect(findings.filter((f) => f.level !== "ok")).toEqual([]);
    expect(findings.some((f) => f.what.startsWith("TLS: certificate for"))).toBe(true);
  });

  it("warns when the certificate expires within 30 days", () => {
    const [f] = checkTls(tlsOf(short));
    expect(f).toMatchObject({ level: "warning", what: expect.stringMatching(/expires in 1 day\(s\), on /), fix: expect.stringContaining("Renew it") });
    expect(checkTls(tlsOf(long), new Date(Date.now() + 340 * DAY))[0]).toMatchObject({ level: "warning", what: expect.stringMatching(/expires in 2[45] day/) });
  });

  it("an expired or not yet valid certificate is a problem", () => {
    expect(checkTls(tlsOf(short), new Date(Date.now() + 3 * DAY))[0]).toMatchObject({ level: "problem", what: expect.stringContaining("expired on"), fix: expect.stringContaining("Renew it") });
    expect(checkTls(tlsOf(long), new Date(Date.now() - DAY))[0]).toMatchObject({ level: "problem", what: expect.stringContaining("is not valid before"), fix: expect.stringContaining("clock") });
  });

  it("unreadable, unparsable and mismatched files are problems with their fix", () => {
    expect(checkTls(tlsOf(short, long.keyFile))).toEqual([{
      level: "problem",
      what: `TLS_KEY_FILE ${long.keyFile} is not the private key of the certificate in TLS_CERT_FILE ${short.certFile}.`,
      fix: expect.stringContaining("openssl req -x509"),
    }]);
    const missing = { ...tlsOf(short), tls: { certFile: path.join(short.dir, "gone.pem"), keyFile: short.keyFile } };
    expect(checkTls(missing)).toEqual([{ level: "problem", what: expect.stringMatching(/^TLS_CERT_FILE \S+gone\.pem does not exist\.$/), fix: expect.stringContaining("Set TLS_CERT_FILE to a readable PEM file") }]);
    const junk = path.join(short.dir, "junk-key.pem");
    fs.writeFileSync(junk, "not a key");
    expect(checkTls(tlsOf(short, junk))).toEqual([{ level: "problem", what: expect.stringContaining("holds no PEM private key"), fix: expect.stringContaining("TLS_KEY_FILE") }]);
  });

  it("no TLS: nothing on loopback; a warning when ALLOW_PLAINTEXT=1 serves the network in clear", () => {
    expect(checkTls({ host: "127.0.0.1", allowPlaintext: false, tls: null })).toEqual([]);
    expect(checkTls({ host: "0.0.0.0", allowPlaintext: true, tls: null })).toEqual([
      expect.objectContaining({ level: "warning", what: expect.stringContaining("ALLOW_PLAINTEXT=1"), fix: expect.stringContaining("TLS_CERT_FILE and TLS_KEY_FILE") }),
    ]);
  });

  it("npm run doctor prints the TLS problem with its fix and exits 1", async () => {
    fake = await startOllamaFake({ models: ["llama3.2:3b"], embeddingModels: ["nomic-embed-text:latest"] });
    const result = await run("npx", ["tsx", "src/doctor.ts"], {
      env: { ...process.env, OLLAMA_HOST: fake.url, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "la-doc-")), TLS_CERT_FILE: short.certFile, TLS_KEY_FILE: long.keyFile },
    }).catch((e: { code: number; stdout: string }) => e);
    expect("code" in result ? result.code : 0).toBe(1);
    expect(result.stdout).toContain(`FAIL TLS_KEY_FILE ${long.keyFile} is not the private key of the certificate in TLS_CERT_FILE ${short.certFile}.`);
    expect(result.stdout).toMatch(/\n {5}fix: Use the key the certificate was made for/);
  });
});
