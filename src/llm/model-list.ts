import { ModelCatalog } from "./model-catalog.js";

/** `GET /v1/models`' object (openai-node's `Model`). */
export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/**
 * OpenAI names tutorial code sends, listed as aliases of the default chat model (any gpt-*, o1/o3/o4… name is
 * served too; these are the ones shown, so `models.list()` finds what an app was written for).
 */
const LISTED_OPENAI_NAMES = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "o4-mini"];

/**
 * The models an app can name: the manifest's public names, what the model server has (Ollama's `/api/tags`,
 * with its modification times, or an OpenAI-compatible server's `/models`), and the OpenAI names that alias to
 * the default chat model. Server unreachable: the manifest and the aliases still answer (the model calls will
 * say what is wrong).
 */
export class ModelList {
  constructor(
    private readonly catalog: ModelCatalog,
    /** The models the server has (llm/backend.ts); empty when it does not answer. */
    private readonly served: () => Promise<ModelObject[]>,
    /** When this server started: the creation time of the names it defines itself. */
    private readonly startedAt: number,
    /**
     * Whether the manifest's names can be served (false on an OpenAI-compatible server, which knows only its own
     * ids: listing names that map to Ollama tags there would offer models every call to fails).
     */
    private readonly manifestServed = true,
  ) {}

  async list(): Promise<ModelObject[]> {
    const own = (id: string): ModelObject => ({ id, object: "model", created: this.startedAt, owned_by: "local-assistants" });
    const names = this.manifestServed ? this.catalog.publicNames() : { chat: [], embedding: [] };
    const pulled = (await this.served()).map((m) => (m.created > 0 ? m : { ...m, created: this.startedAt }));
    // Each name once, the first kind that has it winning (a manifest name Ollama also lists stays ours).
    const byId = new Map<string, ModelObject>();
    for (const m of [...names.chat.map(own), ...names.embedding.map(own), ...pulled, ...LISTED_OPENAI_NAMES.map(own)]) if (!byId.has(m.id)) byId.set(m.id, m);
    return [...byId.values()];
  }

  /** One model by name; an OpenAI name not listed is still an alias of the default model. Null: no such model. */
  async get(id: string): Promise<ModelObject | null> {
    const found = (await this.list()).find((m) => m.id === id);
    if (found) return found;
    return ModelCatalog.isOpenAiName(id) ? { id, object: "model", created: this.startedAt, owned_by: "local-assistants" } : null;
  }
}
