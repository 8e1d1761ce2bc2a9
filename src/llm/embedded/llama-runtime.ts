/**
 * llama.cpp in this process (node-llama-cpp), for the embedded backend: one llama instance, loaded on first use
 * (the native library costs memory a server on Ollama never needs), one load per GGUF file however many calls
 * want it at once, and a model unused for `idleMs` unloaded. Chat replies share one context per model through
 * its sequences: at most `parallel` at once, the others wait their turn in order.
 */
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { ModelError } from "../chat-model.js";
import { log } from "../../log.js";

export interface RuntimeOptions {
  threads: number;
  parallel: number;
  idleMs: number;
}

interface Loaded {
  model: LlamaModel;
  /** The model's chat template, as LlamaChat resolves it: what promptTokens renders with (resolved on its first count). */
  chatWrapper: ChatWrapper | null;
  /** The chat context, made on the first chat (an embedding model never needs one). */
  context: Promise<LlamaContext> | null;
  free: LlamaContextSequence[];
  waiting: Array<(sequence: LlamaContextSequence) => void>;
  embedding: Promise<LlamaEmbeddingContext> | null;
  /** The chat context's size per sequence, once it exists. */
  contextSize: number | null;
  busy: number;
  idle: NodeJS.Timeout | null;
}

export class LlamaRuntime {
  private llama: Promise<Llama> | null = null;
  private readonly models = new Map<string, Promise<Loaded>>();
  /** The models whose load finished, by file (what activity() reads without waiting). */
  private readonly ready = new Map<string, Loaded>();
  /** node-llama-cpp's chat-template resolver, kept once the library is loaded (promptTokens is synchronous). */
  private resolveChatWrapper: ((model: LlamaModel) => ChatWrapper) | null = null;

  constructor(private readonly options: RuntimeOptions) {}

  /** The llama.cpp instance, CPU build (GPU builds are the user's choice: README). */
  instance(): Promise<Llama> {
    this.llama ??= import("node-llama-cpp").then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" }));
    return this.llama;
  }

  /** The context a chat on the file gets: its chat context's size once made, else what the model was trained for. */
  async trainedContext(file: string): Promise<number> {
    return this.use(file, async (loaded) => loaded.contextSize ?? loaded.model.trainContextSize);
  }

  /**
   * Runs `fn` with a sequence of the file's chat context, `contextSize` tokens each (capped by what the model was
   * trained for; the first caller decides, and `trainedContext` then reports that size so later prompts are
   * planned for it), waiting in order for one to be free. `signal` ends the wait (not a running `fn`: it has it).
   */
  async withSequence<T>(file: string, contextSize: number, signal: AbortSignal, fn: (sequence: LlamaContextSequence, model: LlamaModel) => Promise<T>): Promise<T> {
    return this.use(file, async (loaded) => {
      if (!loaded.context) {
        const creating = loaded.model.createContext({ contextSize: Math.min(contextSize, loaded.model.trainContextSize), sequences: this.options.parallel, threads: this.options.threads })
          .then((context) => {
            loaded.free.push(...Array.from({ length: this.options.parallel }, () => context.getSequence()));
            loaded.contextSize = context.contextSize;
            return context;
          });
        loaded.context = creating;
        // Only the attempt that failed is forgotten (a later one may already be under way).
        creating.catch(() => loaded.context === creating && (loaded.context = null));
      }
      await loaded.context.catch((err: unknown) => {
        throw tooBig(err, "a chat context");
      });
      const sequence = loaded.free.pop() ?? (await this.waitForSequence(loaded, signal));
      try {
        return await fn(sequence, loaded.model);
      } finally {
        const next = loaded.waiting.shift();
        if (next) next(sequence);
        else loaded.free.push(sequence);
      }
    });
  }

  /** A place in the queue for the next free sequence; leaving it (the caller cancelled) rejects with the abort. */
  private waitForSequence(loaded: Loaded, signal: AbortSignal): Promise<LlamaContextSequence> {
    return new Promise<LlamaContextSequence>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const take = (sequence: LlamaContextSequence) => {
        signal.removeEventListener("abort", leave);
        resolve(sequence);
      };
      const leave = () => {
        const at = loaded.waiting.indexOf(take);
        if (at >= 0) loaded.waiting.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", leave, { once: true });
      loaded.waiting.push(take);
    });
  }

  /** Runs `fn` with the file's embedding context. */
  async withEmbedding<T>(file: string, fn: (context: LlamaEmbeddingContext) => Promise<T>): Promise<T> {
    return this.use(file, async (loaded) => {
      loaded.embedding ??= loaded.model.createEmbeddingContext({ threads: this.options.threads });
      const context = await loaded.embedding.catch((err: unknown) => {
        loaded.embedding = null;
        throw tooBig(err, "an embedding context");
      });
      return fn(context);
    });
  }

  /**
   * The tokens a chat history takes as the model's chat template renders it, counted by its own tokenizer; null
   * when the file is not loaded (never loaded yet, or unloaded when idle). Synchronous: prompt fitting counts
   * message by message.
   */
  promptTokens(file: string, history: ChatHistoryItem[]): number | null {
    const loaded = this.ready.get(file);
    if (!loaded || !this.resolveChatWrapper) return null;
    loaded.chatWrapper ??= this.resolveChatWrapper(loaded.model);
    return loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loaded.model.tokenizer).length;
  }

  /** Which files are loaded now (for /health). */
  loaded(): string[] {
    return [...this.models.keys()];
  }

  /**
   * Replies being generated now and calls waiting for a free sequence, over the loaded models (for /health). Never
   * waits: a model still loading counts nothing yet (a load takes seconds, and /health must answer at once).
   */
  activity(): { generating: number; waiting: number } {
    let generating = 0;
    let waiting = 0;
    for (const loaded of this.ready.values()) {
      if (loaded.contextSize === null) continue; // no chat context yet (or still being made)
      generating += this.options.parallel - loaded.free.length;
      waiting += loaded.waiting.length;
    }
    return { generating, waiting };
  }

  async close(): Promise<void> {
    for (const entry of this.models.values()) {
      const loaded = await entry.catch(() => null);
      if (loaded?.idle) clearTimeout(loaded.idle);
    }
    this.models.clear();
    this.ready.clear();
    const llama = await this.llama?.catch(() => null);
    await llama?.dispose();
    this.llama = null;
  }

  /** Loads the file once, counts the call as busy (no unload meanwhile), and re-arms the idle unload after it. */
  private async use<T>(file: string, fn: (loaded: Loaded) => Promise<T>): Promise<T> {
    let entry = this.models.get(file);
    if (!entry) {
      entry = this.load(file);
      this.models.set(file, entry);
      entry.then((loaded) => this.models.get(file) === entry && this.ready.set(file, loaded), () => undefined);
      entry.catch(() => this.models.delete(file)); // a failed load is tried again next time
    }
    const loaded = await entry;
    loaded.busy++;
    if (loaded.idle) clearTimeout(loaded.idle);
    loaded.idle = null;
    try {
      return await fn(loaded);
    } finally {
      loaded.busy--;
      if (loaded.busy === 0) {
        loaded.idle = setTimeout(() => {
          // A dispose that fails must not become an unhandled rejection (it would end the process).
          this.unload(file, loaded).catch((err: unknown) => log.error({ err }, `unloading ${file} failed`));
        }, this.options.idleMs);
        loaded.idle.unref();
      }
    }
  }

  private async load(file: string): Promise<Loaded> {
    const llama = await this.instance();
    const model = await llama.loadModel({ modelPath: file }).catch((err: unknown) => {
      throw tooBig(err, `the model ${file}`);
    });
    this.resolveChatWrapper ??= (await import("node-llama-cpp")).resolveChatWrapper;
    return { model, chatWrapper: null, context: null, free: [], waiting: [], embedding: null, contextSize: null, busy: 0, idle: null };
  }

  private async unload(file: string, loaded: Loaded): Promise<void> {
    if (loaded.busy > 0 || this.models.get(file) === undefined) return;
    this.models.delete(file);
    this.ready.delete(file);
    await loaded.model.dispose(); // its contexts go with it
  }
}

/** A load that failed, phrased for the person reading the run's last_error (memory is the usual reason). */
function tooBig(err: unknown, what: string): ModelError {
  const message = err instanceof Error ? err.message : String(err);
  const memory = /memory|alloc|VRAM|RAM|too large/i.test(message);
  return new ModelError("http", memory
    ? `Loading ${what} failed: it does not fit in this machine's memory (${message}). Use a smaller or more quantized GGUF, or a smaller context.`
    : `Loading ${what} failed: ${message}`);
}
