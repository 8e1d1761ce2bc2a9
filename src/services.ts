import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { BlobStore } from "./files/blob-store.js";
import { FileService } from "./files/file-service.js";
import type { ChatModel } from "./llm/chat-model.js";
import { ModelCatalog } from "./llm/model-catalog.js";
import { OllamaChatModel } from "./llm/ollama-chat.js";
import { NO_BUILTIN_TOOLS, type BuiltinTools } from "./runs/builtin-tools.js";
import { RunEngine } from "./runs/engine.js";
import { RunEvents } from "./runs/events.js";
import { RunExecutor } from "./runs/executor.js";
import { RunRecorder } from "./runs/recorder.js";
import { RunService } from "./runs/run-service.js";
import { probeOllama, type OllamaProbe } from "./llm/ollama-probe.js";
import { References, type VectorStoreLinks } from "./objects/references.js";
import { ThreadService } from "./objects/thread-service.js";
import { AssistantsRepo } from "./store/assistants-repo.js";
import { openDb, type Db } from "./store/db.js";
import { FilesRepo } from "./store/files-repo.js";
import { MessagesRepo } from "./store/messages-repo.js";
import { RunsRepo } from "./store/runs-repo.js";
import { StepsRepo } from "./store/steps-repo.js";
import { ThreadsRepo } from "./store/threads-repo.js";

export const VERSION = "0.1.0";

export interface Repos {
  assistants: AssistantsRepo;
  threads: ThreadsRepo;
  messages: MessagesRepo;
  files: FilesRepo;
  runs: RunsRepo;
  steps: StepsRepo;
}

/** Everything the HTTP layer needs, created once in the composition root (or per test). */
export interface AppServices {
  readonly config: Config;
  readonly version: string;
  readonly clock: Clock;
  readonly db: Db;
  readonly repos: Repos;
  readonly refs: References;
  readonly threads: ThreadService;
  readonly files: FileService;
  readonly models: ModelCatalog;
  readonly runs: RunService;
  readonly runEvents: RunEvents;
  readonly engine: RunEngine;
  probeOllama(): Promise<OllamaProbe>;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /** `":memory:"` keeps SQLite in memory (tests); default is `<dataDir>/db.sqlite`. */
  database?: ":memory:";
  /** Replaces the Ollama chat adapter (tests normally use the Ollama-protocol stand-in instead). */
  chat?: ChatModel;
  builtins?: BuiltinTools;
}

/** Opens storage and wires every service. The only place objects are constructed. */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<AppServices> {
  const clock = overrides.clock ?? systemClock;
  const db = openDb(overrides.database ?? config.dataDir);
  const repos: Repos = {
    assistants: new AssistantsRepo(db),
    threads: new ThreadsRepo(db),
    messages: new MessagesRepo(db),
    files: new FilesRepo(db),
    runs: new RunsRepo(db),
    steps: new StepsRepo(db),
  };
  const blobs = new BlobStore(config.dataDir);
  await blobs.init();
  const files = new FileService(repos.files, blobs, clock);
  const refs = new References(repos.files, noVectorStores);
  const threads = new ThreadService({ db, ...repos }, refs, clock);
  const models = ModelCatalog.load(config.models.manifestFile, config.models);
  const runEvents = new RunEvents();
  const recorder = new RunRecorder(repos.runs, repos.steps, repos.messages, runEvents, clock);
  const executor = new RunExecutor({
    repos,
    recorder,
    chat: overrides.chat ?? new OllamaChatModel({ host: config.ollama.host, timeoutMs: config.ollama.timeoutMs }),
    models,
    builtins: overrides.builtins ?? NO_BUILTIN_TOOLS,
    clock,
    expirySeconds: config.runs.expirySeconds,
  });
  const engine = new RunEngine({ runs: repos.runs, recorder, executor, clock, concurrency: config.runs.concurrency });
  const runs = new RunService({ db, repos, threads, recorder, engine, clock, expirySeconds: config.runs.expirySeconds });
  engine.start();
  return {
    config,
    version: VERSION,
    clock,
    db,
    repos,
    refs,
    threads,
    files,
    models,
    runs,
    runEvents,
    engine,
    probeOllama: () => probeOllama(config.ollama.host, 1000),
    close: async () => {
      await engine.close();
      db.close();
    },
  };
}

/** Until vector stores exist, no id names one. */
const noVectorStores: VectorStoreLinks = {
  exists: () => false,
  createForFiles: async () => {
    throw new Error("vector stores are not available");
  },
};
