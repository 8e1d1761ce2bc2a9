/**
 * Shared pieces of the vector store and file_search contract suites: a fresh app per test (with the
 * Ollama-protocol stand-in, so stores are hybrid unless `EMBEDDING_MODEL=""`), uploads, small topical
 * documents whose rankings are obvious, the shared PDFs, and schema checks for what the server returns.
 */
import fs from "node:fs";
import { expect } from "vitest";
import { toFile } from "openai";
import type OpenAI from "openai";
import type { Env } from "../../src/config.js";
import type { ServiceOverrides } from "../../src/composition/services.js";
import type { OllamaFakeOptions } from "../fakes/ollama-fake.js";
import { useFresh, wireBody } from "./contract.js";
import { expectMatchesSchema } from "./openapi.js";
import { makeRunApp, type RunTestApp } from "./run-app.js";
import type { TestApp } from "./test-app.js";

type VectorStore = OpenAI.VectorStores.VectorStore;

export const PDF_DIR = new URL("../fixtures/pdfs/", import.meta.url).pathname;

/** One of the shared PDFs (see test/fixtures/pdfs/SOURCES.md). */
export function pdf(name: string): Buffer {
  return fs.readFileSync(PDF_DIR + name);
}

/** Both ways a store can be built: BM25 alone, or BM25 + the stand-in's hashed embeddings. */
export const MODES = [
  { mode: "bm25", env: { EMBEDDING_MODEL: "" } },
  { mode: "hybrid", env: {} },
] as const;

/** A fresh app + Ollama stand-in for every test of the enclosing describe; DATA_DIR removed afterwards. */
export function useVsApp(env: Env = {}, fakeOptions: OllamaFakeOptions = {}, overrides: ServiceOverrides = {}): () => RunTestApp {
  return useFresh("useVsApp", () => makeRunApp(env, fakeOptions, overrides));
}

/** Three short documents on unrelated topics: a query naming one topic must rank its document first. */
export const DOCS: Record<string, string> = {
  "volcanoes.txt":
    "Volcanoes erupt when magma rises through the crust. Basaltic lava flows are runny; andesitic magma is " +
    "viscous and traps gas, so stratovolcanoes explode. Pyroclastic flows and volcanic ash clouds endanger aircraft.",
  "sourdough.txt":
    "Sourdough bread rises with a starter of wild yeast and lactic acid bacteria. Feed the starter flour and " +
    "water daily; a long cold fermentation of the dough gives the crumb its sour taste and open texture.",
  "saturn.txt":
    "Saturn is the sixth planet from the Sun, a gas giant with bright rings of ice and rock. Its largest moon, " +
    "Titan, has a thick nitrogen atmosphere and lakes of liquid methane; the Cassini probe orbited Saturn for 13 years.",
};

export async function upload(t: TestApp, bytes: Uint8Array | string, name: string): Promise<OpenAI.Files.FileObject> {
  const file = await t.client.files.create({ file: await toFile(Buffer.from(bytes), name), purpose: "assistants" });
  expectMatchesSchema(file, "OpenAIFile");
  return file;
}

/** Uploads `docs` (name → content) and returns name → file id. */
export async function uploadAll(t: TestApp, docs: Record<string, string | Uint8Array>): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const [name, content] of Object.entries(docs)) ids[name] = (await upload(t, content, name)).id;
  return ids;
}

/** Waits until nothing is queued or being indexed. */
export function settle(t: TestApp): Promise<void> {
  return t.services.ingestor.idle();
}

/** A store holding `docs`, fully ingested. */
export async function storeOf(t: TestApp, docs: Record<string, string | Uint8Array> = DOCS, name = "docs") {
  const ids = await uploadAll(t, docs);
  const store = await t.client.vectorStores.create({ name, file_ids: Object.values(ids) });
  expectStore(store);
  await settle(t);
  return { store, ids, nameOf: (fileId: string) => Object.keys(ids).find((n) => ids[n] === fileId) };
}

export function expectStore(store: unknown): asserts store is VectorStore {
  expectMatchesSchema(store, "VectorStoreObject");
}

export function expectStoreFile(file: unknown): void {
  expectMatchesSchema(file, "VectorStoreFileObject");
}

export function expectBatch(batch: unknown): void {
  expectMatchesSchema(batch, "VectorStoreFileBatchObject");
}

/** Runs a search through the SDK; checks the page the server sent and each result's basic shape. */
export async function search(t: TestApp, storeId: string, body: OpenAI.VectorStores.VectorStoreSearchParams) {
  const page = await t.client.vectorStores.search(storeId, body);
  expectMatchesSchema(wireBody(page), "VectorStoreSearchResultsPage");
  for (const hit of page.data) {
    expect(hit.score).toBeGreaterThanOrEqual(0);
    expect(hit.score).toBeLessThanOrEqual(1);
    expect(hit.content.length).toBeGreaterThan(0);
  }
  return page.data;
}

/** The parsed text a store holds for a file (`GET .../files/{id}/content`), checked against the spec. */
export async function contentOf(t: TestApp, storeId: string, fileId: string): Promise<string> {
  const page = await t.client.vectorStores.files.content(fileId, { vector_store_id: storeId });
  expectMatchesSchema(wireBody(page), "VectorStoreFileContentResponse");
  return page.data.map((d) => d.text ?? "").join("\n");
}
