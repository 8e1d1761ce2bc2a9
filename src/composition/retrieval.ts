import path from "node:path";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { FileService } from "../files/file-service.js";
import type { PdfReader } from "../files/pdf-reader.js";
import { WorkerPdfReader } from "../files/pdf-worker-reader.js";
import { OcrReader } from "../files/ocr/ocr-reader.js";
import type { Embedder } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { LlmBackend } from "../llm/backend.js";
import type { Db } from "../store/db.js";
import { KeyedCondition } from "../concurrency/keyed-condition.js";
import { FileSearchService } from "../retrieval/file-search.js";
import { Ingestor } from "../retrieval/ingestion/index.js";
import { LazyIndex } from "../retrieval/lazy-index.js";
import { StoreSearch } from "../retrieval/store-search.js";
import type { VectorIndex } from "../retrieval/vector-index.js";
import { VectorStoreService } from "../retrieval/vector-store-service.js";
import type { Repos } from "../store/repos.js";

export interface Retrieval {
  vectorStores: VectorStoreService;
  fileSearch: FileSearchService;
  ingestor: Ingestor;
  index: VectorIndex;
  pdf: PdfReader;
  /** OCR of scanned PDF pages and images for ingestion; null: off (OCR_LANGUAGES empty). */
  ocr: OcrReader | null;
  /** One embedder per model tag, on the configured backend (vector stores, ingestion, /v1/embeddings). */
  embedderFor: (tag: string) => Embedder;
  /** What new vector stores embed with (null: BM25 alone); OpenAI's embedding names run on it too. */
  embedder: Embedder | null;
}

/** The composition root's retrieval part: wires vector stores, ingestion and search. LanceDB is loaded on first use, under `<dataDir>/lancedb`. */
export function wireRetrieval(deps: {
  config: Config;
  backend: Pick<LlmBackend, "embedder">;
  db: Db;
  repos: Repos;
  files: FileService;
  models: ModelCatalog;
  clock: Clock;
  embedder?: Embedder | null;
  pdf?: PdfReader;
  ocr?: OcrReader | null;
  ingestGroupMs?: number;
}): Retrieval {
  const { config, db, repos } = deps;
  const index = new LazyIndex(async () => {
    const { LanceIndex } = await import("../retrieval/lance-index.js");
    return LanceIndex.open(path.join(config.dataDir, "lancedb"));
  });
  const embedders = new Map<string, Embedder>();
  const embedderFor = (model: string): Embedder => {
    let e = embedders.get(model);
    if (!e) embedders.set(model, (e = deps.backend.embedder(model)));
    return e;
  };
  const tag = deps.models.embeddingTag;
  const embedder = deps.embedder !== undefined ? deps.embedder : tag === null ? null : embedderFor(tag);
  // The PDF workers are started by the first PDF and stopped after 30 s without one.
  const pdf = deps.pdf ?? new WorkerPdfReader({ ...config.pdf, idleMs: 30_000 });
  // Its threads (Tesseract, the page renderer) start with the first file needing OCR and stop after 60 s without
  // one. A language whose package is not installed stops the boot here (ConfigError naming the package).
  const ocr = deps.ocr !== undefined ? deps.ocr : config.ocr === null ? null : new OcrReader(config.ocr);
  // Notified per store id when its files settle: a run's file_search waits on it for files still indexing.
  const settled = new KeyedCondition<string>();
  const ingestor = new Ingestor({
    pdf,
    ocr,
    files: deps.files,
    storeFiles: repos.storeFiles,
    indexSettings: repos.indexSettings,
    index,
    embedder,
    embedderFor,
    storeExists: (id) => repos.vectorStores.get(id) !== null,
    concurrency: config.ingestion.concurrency,
    ...(deps.ingestGroupMs !== undefined ? { groupMaxMs: deps.ingestGroupMs } : {}),
    onSettled: (storeId) => settled.notify(storeId),
  });
  const vectorStores = new VectorStoreService({ db, stores: repos.vectorStores, ...repos }, index, ingestor, deps.clock);
  const search = new StoreSearch({ index, storeFiles: repos.storeFiles, indexSettings: repos.indexSettings, files: repos.files, embedderFor });
  const fileSearch = new FileSearchService({ storeFiles: repos.storeFiles, search, stores: vectorStores, settled });
  deps.files.onDeleted((fileId) => vectorStores.forgetFile(fileId));
  return { vectorStores, fileSearch, ingestor, index, pdf, ocr, embedderFor, embedder };
}
