/** ChatModel over Ollama's native `/api/chat` (streamed NDJSON) and `/api/show`, via the `ollama` client. */
import type { ChatRequest as OllamaChatRequest, ChatResponse, Message, Tool } from "ollama/browser";
import type { ChatChunk, ChatMessage, ChatModel, ChatRequest, ModelDetails, ToolDefinition } from "./chat-model.js";
import { rememberSuccesses } from "./memo.js";
import { CallScope } from "./ollama-client.js";

export interface OllamaChatModelOptions {
  /** Ollama's base URL (the configured OLLAMA_HOST), e.g. `http://127.0.0.1:11434`. */
  host: string;
  /**
   * Longest wait, in ms, for the reply to start and then between two chunks (not a cap on the whole
   * reply). Generous by default: the first call after a while loads the model from disk. Default 120000.
   */
  timeoutMs?: number;
}

export class OllamaChatModel implements ChatModel {
  private readonly host: string;
  private readonly timeoutMs: number;
  /** `/api/show` once per model (llm/memo.ts: concurrent first calls share it, failures are not kept). */
  private readonly lookUp = rememberSuccesses((model) => this.fetchDetails(model));

  constructor(opts: OllamaChatModelOptions) {
    this.host = opts.host;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /**
   * Streams one reply. Throws ModelError on provider failures, and an error named `AbortError` (see
   * `isAbortError`) when `signal` fires; leaving the loop early aborts the HTTP request.
   */
  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    const scope = new CallScope(this.host, this.timeoutMs, signal);
    const ctx = { host: this.host, model: req.model };
    try {
      scope.kick();
      let stream: AsyncIterator<ChatResponse>;
      try {
        stream = (await scope.client.chat({ ...toOllamaRequest(req), stream: true }))[Symbol.asyncIterator]();
      } catch (err) {
        throw scope.failure(err, { ...ctx, phase: "request" }, "waiting for the reply to start");
      }
      for (;;) {
        let next: IteratorResult<ChatResponse>;
        try {
          next = await stream.next();
        } catch (err) {
          throw scope.failure(err, { ...ctx, phase: "stream" }, "streaming the reply");
        }
        scope.pause();
        if (next.done) return;
        yield* toChunks(next.value);
        scope.kick();
      }
    } finally {
      scope.dispose();
    }
  }

  /** The model's trained context length and capabilities from `/api/show`, fetched once per model. */
  details(model: string): Promise<ModelDetails> {
    return this.lookUp(model);
  }

  private async fetchDetails(model: string): Promise<ModelDetails> {
    const scope = new CallScope(this.host, this.timeoutMs);
    try {
      scope.kick();
      const shown = await scope.client.show({ model });
      // Typed as a Map by the client, but it is the parsed JSON object.
      const info = (shown.model_info ?? {}) as unknown as Record<string, unknown>;
      const contextLength = info[`${String(info["general.architecture"])}.context_length`];
      return {
        context_length: typeof contextLength === "number" ? contextLength : null,
        capabilities: Array.isArray(shown.capabilities) ? shown.capabilities.filter((c) => typeof c === "string") : [],
        family: typeof info["general.architecture"] === "string" ? info["general.architecture"] : null,
      };
    } catch (err) {
      throw scope.failure(err, { host: this.host, model, phase: "request" }, `reading details of '${model}'`);
    } finally {
      scope.dispose();
    }
  }
}

/** Our request in Ollama's wire form; optional fields are left out rather than sent as undefined/null. */
function toOllamaRequest(req: ChatRequest): OllamaChatRequest {
  return {
    model: req.model,
    messages: req.messages.map(toOllamaMessage),
    ...(req.tools?.length ? { tools: req.tools.map(toOllamaTool) } : {}),
    ...(req.format !== undefined ? { format: req.format } : {}),
    ...(req.think !== undefined ? { think: req.think } : {}),
    ...(req.options ? { options: req.options } : {}),
  };
}

function toOllamaTool(t: ToolDefinition): Tool {
  // The client's Tool type narrows JSON schema more than Ollama does; the schema passes through as is.
  const parameters = t.parameters as Tool["function"]["parameters"];
  return { type: "function", function: { name: t.name, description: t.description, parameters } };
}

function toOllamaMessage(m: ChatMessage): Message {
  switch (m.role) {
    case "assistant":
      return {
        role: "assistant",
        content: m.content,
        ...(m.thinking ? { thinking: m.thinking } : {}),
        ...(m.tool_calls?.length
          ? { tool_calls: m.tool_calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      };
    case "tool":
      return { role: "tool", content: m.content, tool_name: m.tool_name };
    default:
      return { role: m.role, content: m.content, ...(m.images?.length ? { images: m.images } : {}) };
  }
}

function* toChunks(part: ChatResponse): Generator<ChatChunk> {
  if (part.message?.thinking) yield { type: "thinking", text: part.message.thinking };
  if (part.message?.content) yield { type: "text", text: part.message.content };
  for (const call of part.message?.tool_calls ?? []) {
    yield { type: "tool_call", call: { name: call.function.name, arguments: call.function.arguments ?? {} } };
  }
  if (part.done) {
    yield {
      type: "done",
      done_reason: part.done_reason || "stop",
      prompt_tokens: part.prompt_eval_count ?? 0,
      completion_tokens: part.eval_count ?? 0,
    };
  }
}
