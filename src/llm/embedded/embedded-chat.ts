/**
 * ChatModel on GGUF models in this process (LLM_BACKEND=embedded), through node-llama-cpp's LlamaChat on a
 * sequence of the model's shared context (llama-runtime.ts). What llama.cpp does that Ollama cannot:
 * - a reply that must be a tool call (tool_choice required or named) is generated under a JSON-schema grammar
 *   of the JSON-text tool protocol (llm/text-tool-calls.ts), so even a tiny model emits a valid call of an
 *   offered tool; with tool_choice auto the model's chat template's own function calling is used, its
 *   arguments grammar-constrained once a call starts;
 * - `json_schema` / `json_object` output under a grammar;
 * - exact token counts from the model's own tokenizer.
 * Images are not sent (no vision projector support yet): they are named in the text, as for other models.
 */
import path from "node:path";
import type { ChatHistoryItem, ChatModelFunctions, LlamaChat, LlamaChatResponseChunk, LlamaContextSequence, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { AsyncQueue } from "../../concurrency/async-queue.js";
import { ModelError, type ChatChunk, type ChatMessage, type ChatModel, type ChatRequest, type ModelDetails, type ToolDefinition } from "../chat-model.js";
import { cancellation, isAbortError, untilAborted } from "../call-lifetime.js";
import { withToolsAsText } from "../text-tool-calls.js";
import { estimate } from "../token-count.js";
import type { GgufOf } from "../model-catalog.js";
import type { LlamaRuntime } from "./llama-runtime.js";
import { isGgufName, notRequestable, requestable, type ModelFiles } from "./model-files.js";

/** Context planned for when a request names none (runs and responses always do: resolveModel). */
const DEFAULT_CONTEXT = 4096;

export class EmbeddedChatModel implements ChatModel {
  /** Grammars by schema: building one costs more than a short reply. */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  /** Sequences of an unloaded model are dropped with it (weak keys). */
  private readonly chats = new WeakMap<LlamaContextSequence, LlamaChat>();

  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly files: ModelFiles,
    /** EMBEDDED_CHAT_MODEL: what every chat name runs that names no GGUF and has none in the manifest. */
    private readonly defaultChat: string,
    /** The GGUF the model manifest gives a tag (ModelCatalog.ggufFor). */
    private readonly ggufFor: GgufOf = () => null,
  ) {}

  /**
   * The GGUF source a model name means: the manifest's for that tag (the operator's choice, so any source); else
   * a `.gguf` name or a URL/hf: URI is itself, except the default model's own file name (GET /v1/models lists it
   * by that name wherever its file is); any other name is the default.
   */
  sourceFor(tag: string): string {
    const mapped = this.ggufFor(tag);
    if (mapped !== null) return mapped;
    if (!isGgufName(tag) || tag === path.basename(this.files.where(this.defaultChat).file)) return this.defaultChat;
    if (!requestable(tag, [this.defaultChat])) throw notRequestable(tag, this.files.dir);
    return tag;
  }

  async details(tag: string): Promise<ModelDetails> {
    const file = await this.files.ensure(this.sourceFor(tag));
    return {
      context_length: await this.runtime.trainedContext(file),
      capabilities: ["completion", "tools"],
      family: null,
      // The prompt as generate() renders it, with the reply's opening (a list alone includes the template's fixed
      // part: prompt fitting subtracts it, runs/prompt.ts). trainedContext above has loaded the model; the estimate
      // counts only where the template refuses the list (some insist that roles alternate, and a run counts its
      // older messages one by one) or the model was unloaded when idle since.
      countTokens: (messages) => {
        try {
          return this.runtime.promptTokens(file, [...toHistory(messages), { type: "model", response: [] }]) ?? estimate(messages);
        } catch {
          return estimate(messages);
        }
      },
    };
  }

  async *chat(req: ChatRequest, signal?: AbortSignal): AsyncGenerator<ChatChunk> {
    // A download in progress is shared with other callers: a cancelled caller stops waiting, the download goes on.
    const file = await untilAborted(this.files.ensure(this.sourceFor(req.model)), signal).catch((err: unknown) => {
      throw signal?.aborted ? cancellation(signal) : err;
    });
    const chunks = new AsyncQueue<ChatChunk>();
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const generation = this.runtime
      .withSequence(file, req.options?.num_ctx ?? DEFAULT_CONTEXT, stop.signal, (sequence, model) => this.generate(req, sequence, model, stop.signal, (c) => void chunks.push(c)))
      .then(() => chunks.close())
      .catch((err: unknown) => chunks.close(signal?.aborted ? cancellation(signal) : isAbortError(err) || stop.signal.aborted ? cancellation(stop.signal) : asModelError(err), { afterBuffered: true }));
    try {
      for await (const chunk of chunks) yield chunk;
    } finally {
      // A consumer that leaves early (or a caller that cancelled) stops the generation.
      signal?.removeEventListener("abort", onAbort);
      stop.abort(new DOMException("The reader left.", "AbortError"));
      await generation;
    }
  }

  private async generate(req: ChatRequest, sequence: LlamaContextSequence, model: LlamaModel, signal: AbortSignal, emit: (chunk: ChatChunk) => void): Promise<void> {
    const chat = await this.chatOn(sequence);
    const forced = req.tools?.length && req.require_tool_call ? req.tools : null;
    // A forced call: the tools are described in the prompt and the grammar allows only a call of one of them.
    const asked = forced ? withToolsAsText(req) : req;
    const functions = !forced && req.tools?.length ? functionsOf(req.tools) : undefined;
    const grammar = forced ? await this.grammar(toolCallSchema(forced)) : req.format === "json" ? await this.jsonGrammar() : req.format ? await this.grammar(req.format) : undefined;
    const history: ChatHistoryItem[] = [...toHistory(asked.messages), { type: "model", response: [] }];
    const o = req.options ?? {};
    // Exact, with the model's own tokenizer: the prompt as the chat template renders it.
    const promptTokens = chat.chatWrapper.generateContextState({ chatHistory: history, ...(functions ? { availableFunctions: functions } : {}) }).contextText.tokenize(model.tokenizer).length;
    if (promptTokens >= sequence.contextSize) {
      throw new ModelError("http", `The prompt is ${promptTokens} tokens, more than the embedded model's context of ${sequence.contextSize}: shorten the input or thread, or let it be truncated (truncation "auto").`);
    }
    let completion = 0;
    const result = await chat.generateResponse(history, {
      signal,
      stopOnAbortSignal: false,
      // Never past the context: with no cap, llama.cpp would shift the context and generate on without end.
      maxTokens: Math.max(1, Math.min(o.num_predict ?? Number.POSITIVE_INFINITY, sequence.contextSize - promptTokens)),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      // top_p 1 (the API's default, which runs always send) keeps every token: no sampling stage for it.
      ...(o.top_p !== undefined && o.top_p < 1 ? { topP: o.top_p } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.stop?.length ? { customStopTriggers: o.stop } : {}),
      // Either the tools' own function calling or a grammar: llama.cpp constrains one way at a time.
      ...((functions ? { functions } : grammar ? { grammar } : {}) as { functions?: ChatModelFunctions }),
      onToken: (tokens) => void (completion += tokens.length),
      onResponseChunk: (chunk: LlamaChatResponseChunk) => {
        if (chunk.text === "") return;
        if (chunk.type === "segment") {
          if (chunk.segmentType === "thought") emit({ type: "thinking", text: chunk.text });
        } else emit({ type: "text", text: chunk.text });
      },
    });
    for (const call of result.functionCalls ?? []) {
      const args = typeof call.params === "object" && call.params !== null && !Array.isArray(call.params) ? (call.params as Record<string, unknown>) : {};
      emit({ type: "tool_call", call: { name: call.functionName, arguments: args } });
    }
    emit({
      type: "done",
      done_reason: result.metadata.stopReason === "maxTokens" ? "length" : "stop",
      prompt_tokens: promptTokens,
      completion_tokens: completion,
    });
  }

  /**
   * One LlamaChat per sequence, kept: making one resolves the model's chat template (measurable per call), and a
   * kept one reuses what the sequence already evaluated when the next prompt starts the same way.
   */
  private async chatOn(sequence: LlamaContextSequence): Promise<LlamaChat> {
    let chat = this.chats.get(sequence);
    if (!chat) {
      const { LlamaChat } = await import("node-llama-cpp");
      chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
      this.chats.set(sequence, chat);
    }
    return chat;
  }

  private grammar(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.runtime.instance().then((llama) => llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>);
      grammar.catch(() => this.grammars.delete(key));
      if (this.grammars.size > 256) this.grammars.clear(); // schemas are per request: keep the cache bounded
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  private jsonGrammar(): Promise<LlamaGrammar> {
    return this.runtime.instance().then((llama) => llama.getGrammarFor("json"));
  }
}

/**
 * Our messages as LlamaChat's history: an assistant turn's tool calls become function calls carrying the
 * outputs that follow them (matched by call id where known, else by tool name in order), so the template
 * renders them its own way.
 */
function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const unanswered: Array<{ name: string; id: string | undefined; call: { result: unknown } }> = [];
  for (const m of messages) {
    if (m.role === "assistant") {
      const calls = (m.tool_calls ?? []).map((c) => ({ type: "functionCall" as const, name: c.name, params: c.arguments, result: "" as unknown }));
      unanswered.push(...calls.map((call, i) => ({ name: call.name, id: m.tool_calls![i]!.id, call })));
      history.push({ type: "model", response: [...(m.content ? [m.content] : []), ...calls] });
    } else if (m.role === "tool") {
      const at = unanswered.findIndex((c) => (m.tool_call_id !== undefined && c.id !== undefined ? c.id === m.tool_call_id : c.name === m.tool_name));
      if (at >= 0) unanswered.splice(at, 1)[0]!.call.result = m.content;
      else history.push({ type: "user", text: `Output of the tool ${m.tool_name}:\n${m.content}` });
    } else history.push({ type: m.role, text: m.content });
  }
  return history;
}

function functionsOf(tools: readonly ToolDefinition[]): ChatModelFunctions {
  return Object.fromEntries(tools.map((t) => [t.name, { ...(t.description ? { description: t.description } : {}), params: t.parameters as never }]));
}

/** The JSON-text protocol's answer, `{"tool_calls":[{"name","arguments"}]}`, for exactly one call of an offered tool. */
function toolCallSchema(tools: readonly ToolDefinition[]): Record<string, unknown> {
  const oneCall = tools.map((t) => ({ type: "object", properties: { name: { const: t.name }, arguments: t.parameters }, required: ["name", "arguments"] }));
  return { type: "object", properties: { tool_calls: { type: "array", minItems: 1, maxItems: 1, items: oneCall.length === 1 ? oneCall[0] : { oneOf: oneCall } } }, required: ["tool_calls"] };
}

function asModelError(err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  return new ModelError("stream", `The embedded model failed while generating the reply: ${err instanceof Error ? err.message : String(err)}`);
}
