/**
 * Several Ollama servers (OLLAMA_HOSTS) as one model: each call goes to the least busy host that has the
 * model, and a host that fails to answer is skipped for a while, its call retried on another host when nothing
 * of the reply had been sent yet. With one host this is never built (backend.ts uses that host directly).
 */
import { ModelError, type ChatChunk, type ChatModel, type ChatRequest, type Embedder, type ModelDetails } from "./chat-model.js";
import { OllamaChatModel } from "./ollama-chat.js";
import { clientFor } from "./ollama-client.js";
import { OllamaEmbedder } from "./ollama-embedder.js";

/** How long a host that did not answer is left out (then tried again by the next call that needs it). */
export const HOST_RETRY_MS = 10_000;
/** How long a host's list of pulled models is trusted before it is asked again. */
const TAGS_TTL_MS = 5_000;

interface Host {
  readonly url: string;
  readonly chat: OllamaChatModel;
  /** Calls in flight on it (chat replies and embedding batches). */
  busy: number;
  /** Left out until then (a failure to connect or to answer in time). */
  downUntil: number;
  /** Its pulled models (`name` and `name:tag` both), with when they were read; null: not read yet. */
  tags: { names: Set<string>; at: number } | null;
  tagsRead: Promise<void> | null;
}

/** Failures that say the host, not the request, is the problem: another host may answer the same request. */
function hostFailed(err: unknown): boolean {
  return err instanceof ModelError && (err.kind === "unreachable" || err.kind === "timeout");
}

export class OllamaHosts implements ChatModel {
  private readonly hosts: Host[];
  private turn = 0;

  constructor(urls: readonly string[], private readonly timeoutMs: number, private readonly now: () => number = Date.now) {
    this.hosts = urls.map((url) => ({ url, chat: new OllamaChatModel({ host: url, timeoutMs }), busy: 0, downUntil: 0, tags: null, tagsRead: null }));
  }

  get urls(): string[] {
    return this.hosts.map((h) => h.url);
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    const tried = new Set<Host>();
    for (;;) {
      const host = await this.pick(req.model, tried);
      tried.add(host);
      let sent = false;
      host.busy++;
      try {
        for await (const chunk of host.chat.chat(req, signal)) {
          sent = true;
          yield chunk;
        }
        return;
      } catch (err) {
        if (!hostFailed(err)) throw err;
        host.downUntil = this.now() + HOST_RETRY_MS;
        // Part of the reply reached the caller: it cannot be sent again from another host.
        if (sent || tried.size === this.hosts.length) throw err;
      } finally {
        host.busy--;
      }
    }
  }

  /** From a host that has the model (details are the model's, whichever host serves it). */
  async details(model: string): Promise<ModelDetails> {
    const host = await this.pick(model, new Set(), false);
    return host.chat.details(model);
  }

  embedder(model: string): Embedder {
    return {
      model,
      embed: (texts, signal) => this.embed(model, texts, signal),
    };
  }

  private async embed(model: string, texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const tried = new Set<Host>();
    for (;;) {
      const host = await this.pick(model, tried);
      tried.add(host);
      host.busy++;
      try {
        return await new OllamaEmbedder({ host: host.url, model, timeoutMs: this.timeoutMs }).embed(texts, signal);
      } catch (err) {
        if (!hostFailed(err)) throw err;
        host.downUntil = this.now() + HOST_RETRY_MS;
        if (tried.size === this.hosts.length) throw err;
      } finally {
        host.busy--;
      }
    }
  }

  /** Every model some host that answers has, once (GET /v1/models). */
  async served(): Promise<{ id: string; created: number }[]> {
    const lists = await Promise.all(
      this.hosts.map(async (h) => {
        try {
          return (await clientFor(h.url, AbortSignal.timeout(2000)).list()).models;
        } catch {
          return [];
        }
      }),
    );
    const seen = new Map<string, number>();
    for (const m of lists.flat()) if (!seen.has(m.name)) seen.set(m.name, Math.floor(new Date(m.modified_at).getTime() / 1000) || 0);
    return [...seen].map(([id, created]) => ({ id, created }));
  }

  /**
   * The host for a call: among those up (not left out) and not tried yet, the ones known to have the model
   * (a host whose list could not be read counts as maybe), then the least busy; ties take turns. When every
   * host is left out, the one back soonest is tried rather than failing without asking anyone. Only calls
   * that do work take turns (a details lookup does not).
   */
  private async pick(model: string, tried: Set<Host>, takeTurn = true): Promise<Host> {
    const now = this.now();
    const untried = this.hosts.filter((h) => !tried.has(h));
    const up = untried.filter((h) => h.downUntil <= now);
    if (up.length === 0) return untried.sort((a, b) => a.downUntil - b.downUntil)[0]!;
    await Promise.all(up.map((h) => this.readTags(h)));
    const answering = up.filter((h) => h.downUntil <= this.now());
    if (answering.length === 0) return up[0]!; // none answered its list: let the call say why
    const having = answering.filter((h) => h.tags === null || hasModel(h.tags.names, model));
    const candidates = having.length > 0 ? having : answering;
    const least = Math.min(...candidates.map((h) => h.busy));
    const idle = candidates.filter((h) => h.busy === least);
    return idle[(takeTurn ? this.turn++ : this.turn) % idle.length]!;
  }

  /** Refreshes a host's model list when it is stale; a host that does not answer is left out. */
  private readTags(host: Host): Promise<void> {
    if (host.tags && this.now() - host.tags.at < TAGS_TTL_MS) return Promise.resolve();
    host.tagsRead ??= (async () => {
      try {
        const { models } = await clientFor(host.url, AbortSignal.timeout(Math.min(2000, this.timeoutMs))).list();
        host.tags = { names: new Set(models.flatMap((m) => [m.name, m.name.replace(/:latest$/, "")])), at: this.now() };
      } catch {
        host.tags = null;
        host.downUntil = this.now() + HOST_RETRY_MS;
      } finally {
        host.tagsRead = null;
      }
    })();
    return host.tagsRead;
  }
}

function hasModel(names: Set<string>, model: string): boolean {
  return names.has(model) || names.has(`${model}:latest`);
}
