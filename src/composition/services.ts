import fs from "node:fs";
import type { Clock } from "../clock.js";
import { systemClock } from "../clock.js";
import type { Config } from "../config.js";
import { BlobStore } from "../files/blob-store.js";
import { S3Mirror } from "../files/s3-mirror.js";
import { FileService } from "../files/file-service.js";
import type { ChatModel, Embedder } from "../llm/chat-model.js";
import { wireRetrieval } from "./retrieval.js";
import type { FileSearchService } from "../retrieval/file-search.js";
import type { Ingestor } from "../retrieval/ingestion/index.js";
import type { PdfReader } from "../files/pdf-reader.js";
import type { OcrReader } from "../files/ocr/ocr-reader.js";
import type { VectorStoreService } from "../retrieval/vector-store-service.js";
import { createRepos, type Repos } from "../store/repos.js";
import { ModelCatalog } from "../llm/model-catalog.js";
import { CapabilityFallback } from "../llm/capability-fallback.js";
import { createQuickJsSandbox, type CodeSandbox } from "../sandbox/index.js";
import type { AnyBuiltinTool } from "../tools/builtin-tool.js";
import { codeInterpreterTool } from "../tools/code-interpreter.js";
import { SandboxCodeRunner } from "../tools/code-runner.js";
import { fileSearchTool } from "../tools/file-search.js";
import { Toolbox } from "../tools/toolbox.js";
import { RunEngine } from "../runs/engine.js";
import { RunEvents } from "../runs/events.js";
import { Outbox } from "../runs/outbox.js";
import { RunExecutor } from "../runs/executor.js";
import { RunRecorder } from "../runs/recorder.js";
import { RunService } from "../runs/run-service.js";
import { ContainerService } from "../objects/container-service.js";
import { ConversationHolds } from "../objects/conversation-holds.js";
import { ConversationService } from "../responses/conversations.js";
import { ThreadBridge } from "../responses/thread-bridge.js";
import { ResponseService } from "../responses/response-service.js";
import { ChatCompletions } from "../chat/chat-completions.js";
import { EmbeddingsEndpoint } from "../llm/embeddings.js";
import { ModelList } from "../llm/model-list.js";
import { createBackend } from "../llm/backend.js";
import { ApiKeyService, readKeysFile } from "../objects/api-keys.js";
import { AssistantService } from "../objects/assistant-service.js";
import { References } from "../objects/references.js";
import { ThreadService } from "../objects/thread-service.js";
import { atomically, checkpointInBackground, openDb, openPostgres, type Db } from "../store/db.js";
import type { WalCheckpointer } from "../store/wal-checkpointer.js";
import { Metrics } from "../metrics.js";
import { guarded } from "../log.js";
import { MeteredChatModel } from "../llm/metered-chat.js";
import { createLeases, parkedOwner } from "../cluster/work-leases.js";
import { EVERY_NODE, LocalSignals, PgSignals } from "../cluster/signals.js";
import { hasObjectsOutside } from "../store/foreign-projects.js";
import { DEFAULT_PROJECT, isolateProjects } from "../store/project-scope.js";
import { resolveDataKey } from "../store/data-key.js";

export const VERSION = "0.1.0";

/** Everything the HTTP layer needs, created once in the composition root (or per test). */
export interface AppServices {
  readonly config: Config;
  readonly version: string;
  readonly clock: Clock;
  readonly db: Db;
  /** Checkpoints SQLite's write-ahead log off the event loop; null on PostgreSQL and in memory. */
  readonly checkpointer: WalCheckpointer | null;
  readonly repos: Repos;
  readonly refs: References;
  readonly apiKeys: ApiKeyService;
  readonly assistants: AssistantService;
  readonly threads: ThreadService;
  readonly files: FileService;
  readonly models: ModelCatalog;
  readonly runs: RunService;
  readonly responses: ResponseService;
  readonly conversations: ConversationService;
  readonly containers: ContainerService;
  readonly modelList: ModelList;
  readonly embeddings: EmbeddingsEndpoint;
  readonly chatCompletions: ChatCompletions;
  readonly vectorStores: VectorStoreService;
  readonly fileSearch: FileSearchService;
  readonly ingestor: Ingestor;
  /** OCR for ingestion (scanned PDF pages, images); null when OCR_LANGUAGES is empty. Its stats() count pages read. */
  readonly ocr: OcrReader | null;
  readonly runEvents: RunEvents;
  readonly engine: RunEngine;
  /** The model server for /health: `{backend, ollama | openai: {reachable, models, …}}`. Never throws. */
  probeModels(): Promise<Record<string, unknown>>;
  /** GET /health's readiness: a reason when the database or the data directory does not answer. */
  readiness(): Promise<{ database: string | null; storage: string | null }>;
  /** Counters and histograms of GET /metrics. */
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /** `":memory:"` keeps SQLite in memory (tests); default is `<dataDir>/db.sqlite`. */
  database?: ":memory:";
  /** Replaces the Ollama chat adapter (tests normally use the Ollama-protocol stand-in instead). */
  chat?: ChatModel;
  /** Built-in tools replacing the registered ones of the same type (stand-ins in tests). */
  tools?: AnyBuiltinTool[];
  sandbox?: CodeSandbox;
  /** null: vector stores are BM25 only; undefined: the configured Ollama embedding model. */
  embedder?: Embedder | null;
  /** Where PDFs are parsed; default: a worker thread (WorkerPdfReader) with the configured limits. */
  pdf?: PdfReader;
  /** OCR for ingestion; null: none; default: the configured one (OCR_LANGUAGES). */
  ocr?: OcrReader | null;
  /** Longest a file's last chunks wait to be written with the next files of its store (Ingestor). */
  ingestGroupMs?: number;
}

/** Opens storage and wires every service: the composition root (with ./retrieval.ts), the only place services are built. */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<AppServices> {
  const clock = overrides.clock ?? systemClock;
  const fileKeys = config.apiKeysFile === null ? null : readKeysFile(config.apiKeysFile); // a bad file: ConfigError
  // Encryption at rest: a wrong key, or a key that does not match the data directory, stops here (ConfigError).
  const dataKey = resolveDataKey(config.dataDir, config.encryption);
  const db = config.database ? openPostgres(config.database.url, config.database.schema) : openDb(overrides.database ?? config.dataDir, dataKey);
  const checkpointer = checkpointInBackground(db, dataKey);
  const repos = createRepos(db);
  // API_KEY, API_KEYS_FILE's keys and those created over HTTP, each with its project.
  const apiKeys = new ApiKeyService(repos.apiKeys, clock, { apiKey: config.apiKey, fileKeys });
  // Projects are kept apart only where there can be more than one (store/project-scope.ts says why not always).
  if (fileKeys !== null || hasObjectsOutside(db, DEFAULT_PROJECT)) isolateProjects();
  // Which node executes what, and messages between nodes: trivial on SQLite (one process), rows and
  // LISTEN/NOTIFY on PostgreSQL (src/cluster/).
  const leases = createLeases(db, config.cluster.leaseMs);
  // The run queue's depth is read at each scrape, from the engine made further down.
  const metrics: Metrics = new Metrics((): number => engine.queued);
  const signals = config.database ? await PgSignals.open(db, leases.node, config.database.url, config.database.schema) : new LocalSignals();
  // A key created or revoked on one node reaches every node's key map moments later (NOTIFY).
  apiKeys.onChange = () => signals.send(EVERY_NODE, { kind: "keys-changed", id: "" });
  signals.onSignal((signal) => signal.kind === "keys-changed" && guarded("reloading API keys", () => apiKeys.reload()));
  const mirror = config.blobStore ? new S3Mirror(config.blobStore) : null;
  const blobs = new BlobStore(config.dataDir, dataKey?.files ?? null, mirror);
  await blobs.init();
  const files = new FileService(repos.files, blobs, clock);
  const models = ModelCatalog.load(config.models.manifestFile, config.models);
  const backend = await createBackend(config, models.ggufFor);
  const retrieval = wireRetrieval({
    config,
    backend,
    db,
    repos,
    files,
    models,
    clock,
    cluster: { leases, signals },
    metrics,
    // EMBEDDING_MODEL= (empty) means BM25 alone whichever engine serves; else the backend may decide.
    ...(overrides.embedder !== undefined ? { embedder: overrides.embedder }
      : config.models.embeddingModel === "" ? { embedder: null }
      : backend.defaultEmbedder !== undefined ? { embedder: backend.defaultEmbedder } : {}),
    ...(overrides.pdf ? { pdf: overrides.pdf } : {}),
    ...(overrides.ocr !== undefined ? { ocr: overrides.ocr } : {}),
    ...(overrides.ingestGroupMs !== undefined ? { ingestGroupMs: overrides.ingestGroupMs } : {}),
  });
  const refs = new References(repos.files, retrieval.vectorStores);
  // Deleting a thread stops its run through the engine, created further down (only called on a request).
  // Which response holds a conversation or thread: asked by conversations, thread messages and runs alike.
  const holds = new ConversationHolds(leases.shared ? {
    claim: (id) => leases.claim("conversation", id),
    release: (id) => leases.release("conversation", id),
    park: (id, responseId) => leases.park("conversation", id, parkedOwner(responseId)),
    takeOver: (id, responseId) => leases.takeOver("conversation", id, parkedOwner(responseId)),
    heldAnywhere: (id) => leases.holder("conversation", id) !== null,
  } : null);
  const threadWork = {
    stopRuns: (threadId: string) => engine.abortThread(threadId),
    // Runs on a thread keep their code's variables in the sandbox session named by the thread id.
    endSession: (threadId: string) => sandbox.end(threadId),
  };
  const threads = new ThreadService({ db, ...repos }, refs, clock, threadWork, holds);
  const assistants = new AssistantService({ assistants: repos.assistants, vectorStores: repos.vectorStores, storeFiles: retrieval.vectorStores, refs, clock });
  const sandbox = overrides.sandbox ?? createQuickJsSandbox({
    poolSize: config.sandbox.workers,
    maxSessions: config.sandbox.maxSessions,
    sessionIdleMs: config.sandbox.sessionIdleMs,
    limits: { timeMs: config.sandbox.timeMs, memoryBytes: config.sandbox.memoryBytes, outputBytes: config.sandbox.outputBytes },
  });
  // The built-in tools: one module each, registered here.
  const tools = new Toolbox([
    fileSearchTool(retrieval.fileSearch),
    codeInterpreterTool(new SandboxCodeRunner({ repos, files, sandbox, maxFileBytes: config.sandbox.maxFileBytes, maxInputBytes: config.sandbox.maxInputBytes, metrics })),
  ]).with(overrides.tools ?? []);
  const runEvents = new RunEvents();
  const outbox = new Outbox(db, runEvents);
  const recorder = new RunRecorder(repos.runs, repos.steps, repos.messages, outbox, clock, metrics);
  const chat = new CapabilityFallback(new MeteredChatModel(overrides.chat ?? backend.chat, metrics));
  // Files given to the model in a message (images, documents): the same reads for runs and responses.
  const attachments = {
    file: async (fileId: string) => {
      const file = files.get(fileId);
      if (!file) return null;
      // Bytes gone (a crash during a delete leaves the row behind) read as no file, never as a 500.
      const bytes = await files.content(fileId).catch(() => null);
      return bytes ? { filename: file.filename, bytes: new Uint8Array(bytes) } : null;
    },
    pdf: retrieval.pdf,
  };
  const executor = new RunExecutor({
    repos,
    recorder,
    chat,
    models,
    tools,
    clock,
    expirySeconds: config.runs.expirySeconds,
    readFile: async (fileId) => (await attachments.file(fileId))?.bytes ?? null,
  });
  const engine: RunEngine = new RunEngine({ runs: repos.runs, recorder, executor, clock, concurrency: config.runs.concurrency, leases, signals, metrics, role: config.cluster.role });
  const runs = new RunService({ outbox, events: runEvents, repos, threads, recorder, engine, clock, expirySeconds: config.runs.expirySeconds, holds });
  // A container is the sandbox session named by its id: deleting it ends the session (tools/code-runner.ts).
  const containers = new ContainerService({ repos, clock, endSession: (id) => sandbox.end(id) });
  const bridge = new ThreadBridge({ repos, threads, tools });
  const conversations = new ConversationService({ repos, clock, holds, threads: bridge, threadMetadata: (id, metadata) => void threads.update(id, { metadata }) });
  const responses = new ResponseService({ repos, chat, models, tools, containers, attachments, conversations, clock, leases, signals, metrics, role: config.cluster.role, concurrency: config.runs.concurrency, atomically: (fn) => atomically(db, fn) });
  engine.start();
  responses.recover();
  retrieval.vectorStores.resumeIngestion();
  // On a shared store, files whose node died are taken over once their store's lease lapsed.
  const ingestionSweep = leases.shared && config.cluster.role !== "api" ? setInterval(() => guarded("the ingestion sweep", () => retrieval.vectorStores.resumeIngestion()), 2000) : null;
  ingestionSweep?.unref();
  return {
    config,
    version: VERSION,
    clock,
    db,
    checkpointer,
    repos,
    refs,
    apiKeys,
    assistants,
    threads,
    files,
    models,
    runs,
    responses,
    conversations,
    containers,
    modelList: new ModelList(models, () => backend.served(), clock(), backend.kind !== "openai"),
    embeddings: new EmbeddingsEndpoint(models, retrieval.embedderFor, retrieval.embedder),
    chatCompletions: new ChatCompletions({ chat, models, tools, clock }),
    vectorStores: retrieval.vectorStores,
    fileSearch: retrieval.fileSearch,
    ingestor: retrieval.ingestor,
    ocr: retrieval.ocr,
    runEvents,
    engine,
    probeModels: async () => ({ backend: backend.kind, ...(await backend.probe(1000)) }),
    metrics,
    readiness: async () => ({ database: databaseProblem(db), storage: (await storageProblem(config.dataDir)) ?? (mirror ? await bucketProblem(mirror) : null) }),
    close: async () => {
      if (ingestionSweep) clearInterval(ingestionSweep);
      await engine.close();
      await responses.close();
      await retrieval.ingestor.close();
      await retrieval.pdf.close();
      await retrieval.ocr?.close();
      await retrieval.index.close();
      await sandbox.close();
      await backend.close();
      leases.close();
      await signals.close();
      await checkpointer?.close();
      await db.close();
    },
  };
}

/** Null when the database answers a trivial query; else why not. */
function databaseProblem(db: Db): string | null {
  try {
    db.prepare("SELECT 1").get();
    return null;
  } catch (err) {
    return `the database does not answer: ${(err as Error).message}`;
  }
}

/** Null when BLOB_STORE's bucket answers (within 2 s); else why not. */
async function bucketProblem(mirror: S3Mirror): Promise<string | null> {
  try {
    await Promise.race([mirror.reachable(), new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 2 s")), 2000).unref())]);
    return null;
  } catch (err) {
    return `BLOB_STORE's bucket does not answer: ${(err as Error).message}`;
  }
}

/** Null when the data directory (uploaded files, indexes) can be written; else why not. */
async function storageProblem(dataDir: string): Promise<string | null> {
  try {
    await fs.promises.access(dataDir, fs.constants.W_OK);
    return null;
  } catch (err) {
    return `DATA_DIR cannot be written: ${(err as Error).message}`;
  }
}
