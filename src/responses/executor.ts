import type { Response, ResponseUsage } from "../api/responses-wire.js";
import type { AssistantTool, StepToolCall } from "../api/wire.js";
import { ApiError } from "../errors.js";
import { ModelError, type ChatModel, type ChatRequest } from "../llm/chat-model.js";
import { streamChatTurn } from "../runs/chat-turn.js";
import { annotateFiles, cite, type NumberedSource } from "../runs/citations.js";
import { ServerShutdown } from "../runs/state.js";
import type { BuiltinCall, ToolScope } from "../tools/builtin-tool.js";
import type { Toolbox } from "../tools/toolbox.js";
import type { ContainerService } from "../objects/container-service.js";
import type { Prepared } from "./prepare.js";
import { zeroUsage, type ResponseWriter } from "./response-writer.js";
import { log } from "../log.js";

/** A response that keeps calling built-in tools without answering is stopped after this many model calls. */
const MAX_MODEL_CALLS = 12;

export interface ExecuteOptions {
  chat: ChatModel;
  tools: Toolbox;
  /** The request's tools in the Assistants shape the Toolbox knows (built-ins are run here, functions are not). */
  configured: readonly AssistantTool[];
  scope: ToolScope;
  parallelToolCalls: boolean;
  /** The container code_interpreter calls run in (their items and file citations name it). */
  containerId: string;
  /** Built-in calls run at most (`max_tool_calls`); after that built-ins are no longer offered. Null: no limit. */
  maxToolCalls: number | null;
  /** Passages the history already showed the model (numbered as it saw them): the reply may cite them too. */
  sources: readonly NumberedSource[];
}

type FileWritten = { file_id: string; name: string };

/**
 * Executes a response through its writer: per model call, text as it arrives (held back while it could still
 * be a tool call written as JSON, as runs do), then the calls. Built-in calls (file_search, code_interpreter)
 * run inline as their own output items and the model is called again with their results; function calls end
 * the response `completed` (the client runs them and continues with `previous_response_id`). The final reply
 * cites the passages it drew on and the files the code wrote, as runs do. Any failure ends it `failed` with an
 * error saying what to do.
 */
export async function executeResponse(writer: ResponseWriter, request: ChatRequest, options: ExecuteOptions, signal: AbortSignal): Promise<Response> {
  const usage: ResponseUsage = zeroUsage();
  const messages = [...request.messages];
  const sources: NumberedSource[] = [...options.sources];
  const written: FileWritten[] = [];
  const scope: ToolScope = {
    ...options.scope,
    filesWritten: (files) => {
      written.push(...files);
      options.scope.filesWritten?.(files);
    },
  };
  let builtinsRun = 0;
  try {
    for (let n = 0; n < MAX_MODEL_CALLS; n++) {
      const spent = options.maxToolCalls !== null && builtinsRun >= options.maxToolCalls;
      const turn = await streamChatTurn(
        options.chat,
        { ...request, messages, ...(spent ? functionsOnly(request, options) : {}) },
        signal,
        (delta) => writer.text(delta),
        (delta) => writer.reasoning(delta),
      );
      usage.input_tokens += turn.promptTokens;
      usage.output_tokens += turn.completionTokens;
      usage.output_tokens_details.reasoning_tokens += turn.thinkingTokens;
      usage.total_tokens = usage.input_tokens + usage.output_tokens;
      const calls = (options.parallelToolCalls ? turn.toolCalls : turn.toolCalls.slice(0, 1)).map((c) => options.tools.stepCall(options.configured, c));
      const truncated = turn.doneReason === "length" && calls.length === 0;
      writer.finishMessage(truncated ? "incomplete" : "completed", sources.length + written.length > 0 ? citationsOf(turn.text, sources, written, options.containerId) : undefined);
      if (truncated) return writer.incomplete(usage, "max_output_tokens");
      const functions = calls.filter((c): c is Extract<StepToolCall, { type: "function" }> => c.type === "function");
      // Built-ins beyond max_tool_calls are ignored, as the hosted API does.
      const left = options.maxToolCalls === null ? Infinity : options.maxToolCalls - builtinsRun;
      const builtins = calls.filter((c): c is BuiltinCall => c.type !== "function").slice(0, Math.max(0, left));
      if (builtins.length === 0) {
        for (const c of functions) writer.functionCall(c.function.name, c.function.arguments);
        return writer.complete(usage);
      }
      // Built-ins run now; a function call among them goes back to the client once they are done.
      const ran: StepToolCall[] = [];
      for (const call of builtins) {
        const opened = options.tools.openItem(call, options.containerId);
        const item = writer.openItem(opened.item, opened.events);
        const done = (await options.tools.run(call, { scope, signal })) as BuiltinCall;
        signal.throwIfAborted();
        writer.finishItem(item, options.tools.finishItem(done));
        ran.push(done);
        builtinsRun++;
      }
      if (functions.length > 0) {
        for (const c of functions) writer.functionCall(c.function.name, c.function.arguments);
        return writer.complete(usage);
      }
      const replayed = ran.map((call) => {
        const r = options.tools.replay(call, sources.length + 1);
        for (const result of options.tools.sources(call)) sources.push({ n: sources.length + 1, result });
        return r;
      });
      messages.push(
        { role: "assistant", content: turn.text, ...(turn.thinking ? { thinking: turn.thinking } : {}), tool_calls: replayed.map((r) => ({ name: r.name, arguments: r.arguments })) },
        ...replayed.map((r) => ({ role: "tool" as const, tool_name: r.name, content: r.output })),
      );
    }
    throw new Error(`the model kept calling tools without answering (${MAX_MODEL_CALLS} calls); stopping the response`);
  } catch (err) {
    return signal.reason instanceof ResponseCancelled ? writer.cancel(usage) : writer.fail(errorOf(err, signal, writer.response.id), usage);
  }
}

/** How a prepared response executes: its tools' scope (the container is the sandbox session), its limits. */
export function executeOptionsFor(prepared: Prepared, deps: { chat: ChatModel; tools: Toolbox; containers: ContainerService }): ExecuteOptions {
  const { response, container } = prepared;
  const { containers } = deps;
  return {
    chat: deps.chat,
    tools: deps.tools,
    configured: prepared.configured,
    scope: {
      tools: prepared.configured,
      vectorStoreIds: prepared.vectorStoreIds,
      filters: prepared.filters,
      // The container is the sandbox session: its variables and files carry on across calls and responses.
      sessionKey: container?.id ?? response.id,
      codeFileIds: container?.fileIds ?? [],
      filesWritten: container ? (files) => void containers.addFiles(container.id, files.map((f) => f.file_id), "tools") : undefined,
    },
    parallelToolCalls: response.parallel_tool_calls,
    containerId: container?.id ?? "",
    maxToolCalls: response.max_tool_calls,
    sources: prepared.sources,
  };
}

/** The request with only its function tools offered (built-ins spent their max_tool_calls). */
function functionsOnly(request: ChatRequest, options: ExecuteOptions): Partial<ChatRequest> {
  const functionNames = new Set(options.configured.flatMap((t) => (t.type === "function" ? [t.function.name] : [])));
  const tools = (request.tools ?? []).filter((t) => functionNames.has(t.name));
  return { tools };
}

/** The abort reason of a response stopped by `cancel` (or deleted while it ran). */
export class ResponseCancelled extends Error {
  constructor() {
    super("The response was cancelled.");
  }
}

/**
 * The reply's citations (runs/citations.ts) as the Responses API shows them: passages as file_citation (file,
 * name, where in the text), files the code wrote as container_file_citation (the span naming the file).
 */
function citationsOf(text: string, sources: NumberedSource[], written: FileWritten[], containerId: string): { text: string; annotations: unknown[] } {
  const cited = annotateFiles(cite(text, sources), written);
  const names = new Map([...sources.map((s) => [s.result.file_id, s.result.file_name] as const), ...written.map((f) => [f.file_id, f.name] as const)]);
  const annotations = cited.annotations.flatMap((a): Record<string, unknown>[] => {
    if (a.type === "file_citation" && a.file_citation) return [{ type: "file_citation", file_id: a.file_citation.file_id, filename: names.get(a.file_citation.file_id) ?? "", index: a.end_index }];
    if (a.type === "file_path" && a.file_path) {
      const fileId = a.file_path.file_id;
      return [{ type: "container_file_citation", container_id: containerId, file_id: fileId, start_index: a.start_index, end_index: a.end_index, filename: names.get(fileId) ?? "" }];
    }
    return [];
  });
  return { text: cited.text, annotations };
}

/** A response's `error` for a failure; unexpected ones are logged, since their message may not say enough. */
export function errorOf(err: unknown, signal?: AbortSignal, responseId?: string): { code: string; message: string } {
  if (signal?.reason instanceof ServerShutdown) return { code: "server_error", message: signal.reason.message };
  if (err instanceof ModelError) return { code: err.code, message: err.message };
  // A request refused where it is executed (a queued one prepared again on a worker): its own words.
  if (err instanceof ApiError && err.status < 500) return { code: err.code ?? err.type, message: err.message };
  log.error({ err, ...(responseId ? { response_id: responseId } : {}) }, "response failed");
  return { code: "server_error", message: `The response failed: ${err instanceof Error ? err.message : String(err)}` };
}
