import { ApiKeysRepo } from "./api-keys-repo.js";
import { ContainersRepo } from "./containers-repo.js";
import { AssistantsRepo } from "./assistants-repo.js";
import type { Db } from "./db.js";
import { FilesRepo } from "./files-repo.js";
import { MessagesRepo } from "./messages-repo.js";
import { ConversationsRepo, OwnedItemsRepo, ResponseEventsRepo, ResponsesRepo } from "./responses-repo.js";
import { RunsRepo } from "./runs-repo.js";
import { StepsRepo } from "./steps-repo.js";
import { ThreadsRepo } from "./threads-repo.js";
import { FileBatchesRepo, VectorStoreFilesRepo, VectorStoreIndexRepo, VectorStoresRepo } from "./vector-stores-repo.js";

/** One repository per table, over one database. Services take the members they use (`Pick<Repos, …>`). */
export interface Repos {
  readonly assistants: AssistantsRepo;
  readonly threads: ThreadsRepo;
  readonly messages: MessagesRepo;
  readonly files: FilesRepo;
  readonly runs: RunsRepo;
  readonly steps: StepsRepo;
  readonly vectorStores: VectorStoresRepo;
  readonly storeFiles: VectorStoreFilesRepo;
  readonly batches: FileBatchesRepo;
  readonly indexSettings: VectorStoreIndexRepo;
  readonly responses: ResponsesRepo;
  readonly responseItems: OwnedItemsRepo;
  readonly conversations: ConversationsRepo;
  readonly conversationItems: OwnedItemsRepo;
  readonly responseEvents: ResponseEventsRepo;
  readonly containers: ContainersRepo;
  /** Not an object table: keys span projects. */
  readonly apiKeys: ApiKeysRepo;
}

export function createRepos(db: Db): Repos {
  return {
    assistants: new AssistantsRepo(db),
    threads: new ThreadsRepo(db),
    messages: new MessagesRepo(db),
    files: new FilesRepo(db),
    runs: new RunsRepo(db),
    steps: new StepsRepo(db),
    vectorStores: new VectorStoresRepo(db),
    storeFiles: new VectorStoreFilesRepo(db),
    batches: new FileBatchesRepo(db),
    indexSettings: new VectorStoreIndexRepo(db),
    responses: new ResponsesRepo(db),
    responseItems: new OwnedItemsRepo(db, "response_items", "response_id"),
    conversations: new ConversationsRepo(db),
    conversationItems: new OwnedItemsRepo(db, "conversation_items", "conversation_id"),
    responseEvents: new ResponseEventsRepo(db),
    containers: new ContainersRepo(db),
    apiKeys: new ApiKeysRepo(db),
  };
}
