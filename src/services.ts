import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { BlobStore } from "./files/blob-store.js";
import { FileService } from "./files/file-service.js";
import { ModelCatalog } from "./llm/model-catalog.js";
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
  probeOllama(): Promise<OllamaProbe>;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /** `":memory:"` keeps SQLite in memory (tests); default is `<dataDir>/db.sqlite`. */
  database?: ":memory:";
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
    probeOllama: () => probeOllama(config.ollama.host, 1000),
    close: async () => {
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
