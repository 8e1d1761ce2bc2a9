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
import { Ingestor, type IngestPlacement } from "../retrieval/ingestion/index.js";
import { LazyIndex } from "../retrieval/lazy-index.js";
import { EVERY_NODE, type ClusterSignals } from "../cluster/signals.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import type { MetricsSink } from "../metrics.js";
import { guarded, log } from "../log.js";
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
/**
 * Several nodes: a store's files are indexed by the node holding its lease ("store", renewed with the node's
 * other leases), so one node at a time writes its index; a file added on another node is handed to it. With
 * the holder gone, the store is free once its lease lapses, and the ingestion sweep takes its files over.
 */
function ingestPlacement(leases: WorkLeases, signals: ClusterSignals, indexesHere: boolean): IngestPlacement {
  return {
    // ROLE=api indexes nothing: a file goes to the node holding its store, or waits for a worker's sweep.
    claim: (storeId) => indexesHere && (leases.claim("store", storeId) || leases.holder("store", storeId) === leases.node),
    forward: (storeId, fileId, fresh) => {
      const holder = leases.holder("store", storeId);
      // No holder any more (it just finished, or died), or this very node holding it only to remove from its
      // index (an api node): the next sweep of an indexing node takes the file over.
      if (holder !== null && holder !== leases.node) signals.send(holder, { kind: fresh ? "ingest-fresh" : "ingest", id: `${storeId}/${fileId}` });
    },
    release: (storeId) => leases.release("store", storeId),
    claimWrite: (storeId) => leases.claim("store", storeId) || leases.holder("store", storeId) === leases.node,
    forwardRemoval: (storeId, fileId) => {
      const holder = leases.holder("store", storeId);
      if (holder !== null && holder !== leases.node) signals.send(holder, { kind: "unindex", id: fileId === null ? storeId : `${storeId}/${fileId}` });
      // Released meanwhile: whoever next holds the store finds the chunks unseen (see Ingestor.removeFromIndex).
    },
  };
}

/** BLOB_STORE's settings in the names LanceDB's object store takes. */
function lanceStorageOptions(bucket: NonNullable<Config["blobStore"]>): Record<string, string> {
  return {
    aws_region: bucket.region,
    ...(bucket.endpoint ? { aws_endpoint: bucket.endpoint, ...(bucket.endpoint.startsWith("http://") ? { allow_http: "true" } : {}) } : {}),
    ...(bucket.credentials ? { aws_access_key_id: bucket.credentials.accessKeyId, aws_secret_access_key: bucket.credentials.secretAccessKey } : {}),
  };
}

export function wireRetrieval(deps: {
  config: Config;
  backend: Pick<LlmBackend, "embedder">;
  db: Db;
  repos: Repos;
  files: FileService;
  models: ModelCatalog;
  clock: Clock;
  /** Which node indexes which store, and signals between nodes (src/cluster/): several nodes when shared. */
  cluster: { leases: WorkLeases; signals: ClusterSignals };
  metrics: Pick<MetricsSink, "ingestedFiles" | "ingestedPages">;
  embedder?: Embedder | null;
  pdf?: PdfReader;
  ocr?: OcrReader | null;
  ingestGroupMs?: number;
}): Retrieval {
  const { config, db, repos } = deps;
  const index = new LazyIndex(async () => {
    const { LanceIndex } = await import("../retrieval/lance-index.js");
    // With BLOB_STORE the index lives beside the files in the bucket, where every node reaches it.
    const bucket = config.blobStore;
    if (bucket === null) return LanceIndex.open(path.join(config.dataDir, "lancedb"), { shared: deps.cluster.leases.shared });
    return LanceIndex.open(`s3://${bucket.bucket}/${bucket.prefix}lancedb`, { shared: deps.cluster.leases.shared, storageOptions: lanceStorageOptions(bucket) });
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
  const { leases, signals } = deps.cluster;
  const ingestor: Ingestor = new Ingestor({
    ...(leases.shared ? { placement: ingestPlacement(leases, signals, config.cluster.role !== "api") } : {}),
    metrics: deps.metrics,
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
    onSettled: (storeId) => {
      settled.notify(storeId);
      // A run on another node may be waiting for this store's files.
      if (leases.shared) signals.send(EVERY_NODE, { kind: "settled", id: storeId });
    },
  });
  signals.onSignal((signal) => {
    if (signal.kind === "settled") settled.notify(signal.id);
    else if (signal.kind === "ingest" || signal.kind === "ingest-fresh") {
      const [storeId, fileId] = signal.id.split("/") as [string, string];
      guarded("taking a file handed over by another node", () => ingestor.enqueue(storeId, fileId, signal.kind === "ingest-fresh"));
    } else if (signal.kind === "unindex") {
      // A removal another node received, for the store this node indexes (one writer per index).
      const [storeId, fileId] = signal.id.split("/") as [string, string | undefined];
      log.debug({ vector_store_id: storeId, file_id: fileId }, "removing from the index for another node");
      ingestor.removeFromIndex(storeId, fileId).catch((err: unknown) => log.error({ err, vector_store_id: storeId, file_id: fileId }, "a removal handed over by another node failed"));
    }
  });
  const vectorStores = new VectorStoreService({ db, stores: repos.vectorStores, ...repos }, index, ingestor, deps.clock);
  const search = new StoreSearch({ index, storeFiles: repos.storeFiles, indexSettings: repos.indexSettings, files: repos.files, embedderFor });
  const fileSearch = new FileSearchService({ storeFiles: repos.storeFiles, search, stores: vectorStores, settled });
  deps.files.onDeleted((fileId) => vectorStores.forgetFile(fileId));
  return { vectorStores, fileSearch, ingestor, index, pdf, ocr, embedderFor, embedder };
}
