import type { FileSearchCallItem, Response, ResponseUsage } from "../api/responses-wire.js";
import type { AssistantTool, FileSearchResult, StepToolCall } from "../api/wire.js";
import { ModelError, type ChatModel, type ChatRequest, type ModelToolCall } from "../llm/chat-model.js";
import { cite, type NumberedSource } from "../runs/citations.js";
import { ServerShutdown } from "../runs/state.js";
import { mayBeTextToolCall, parseTextToolCalls } from "../runs/text-tool-calls.js";
import type { ToolScope } from "../tools/builtin-tool.js";
import type { Toolbox } from "../tools/toolbox.js";
import { zeroUsage, type ResponseWriter } from "./response-writer.js";

/** A response that keeps calling built-in tools without answering is stopped after this many model calls. */
const MAX_MODEL_CALLS = 12;

export interface ExecuteOptions {
  chat: ChatModel;
  tools: Toolbox;
  /** The request's tools in the Assistants shape the Toolbox knows (built-ins are run here, functions are not). */
  configured: readonly AssistantTool[];
  scope: ToolScope;
  parallelToolCalls: boolean;
}

/**
 * Executes a response through its writer: per model call, text as it arrives (held back while it could still
 * be a tool call written as JSON, as runs do), then the calls. Built-in calls (file_search) run inline as their
 * own output items and the model is called again with their results; function calls end the response
 * `completed` (the client runs them and continues with `previous_response_id`). The final reply cites the
 * passages it drew on, as runs do. Any failure ends it `failed` with an error saying what to do.
 */
export async function executeResponse(writer: ResponseWriter, request: ChatRequest, options: ExecuteOptions, signal: AbortSignal): Promise<Response> {
  const usage: ResponseUsage = zeroUsage();
  const messages = [...request.messages];
  const sources: NumberedSource[] = [];
  try {
    for (let n = 0; n < MAX_MODEL_CALLS; n++) {
      const turn = await modelTurn(writer, { ...request, messages }, options.chat, signal);
      usage.input_tokens += turn.inputTokens;
      usage.output_tokens += turn.outputTokens;
      usage.total_tokens = usage.input_tokens + usage.output_tokens;
      const calls = (options.parallelToolCalls ? turn.calls : turn.calls.slice(0, 1)).map((c) => ({ model: c, step: options.tools.stepCall(options.configured, c) }));
      const truncated = turn.doneReason === "length" && calls.length === 0;
      writer.finishMessage(truncated ? "incomplete" : "completed", sources.length > 0 ? citationsOf(turn.text, sources) : undefined);
      if (truncated) return writer.incomplete(usage, "max_output_tokens");
      const builtins = calls.filter((c) => c.step.type !== "function");
      if (builtins.length === 0) {
        for (const c of calls) writer.functionCall(c.model.name, JSON.stringify(c.model.arguments));
        return writer.complete(usage);
      }
      // Built-ins run now; a function call among them goes back to the client once they are done.
      const ran: StepToolCall[] = [];
      for (const c of builtins) {
        const item = c.step.type === "file_search" ? writer.openFileSearch(c.step.file_search.query ?? "") : null;
        const done = await options.tools.run(c.step, { scope: options.scope, signal });
        signal.throwIfAborted();
        if (item && done.type === "file_search") writer.finishFileSearch(item, resultsOf(done.file_search.results ?? []));
        ran.push(done);
      }
      const functions = calls.filter((c) => c.step.type === "function");
      if (functions.length > 0) {
        for (const c of functions) writer.functionCall(c.model.name, JSON.stringify(c.model.arguments));
        return writer.complete(usage);
      }
      const replayed = ran.map((call) => {
        const r = options.tools.replay(call, sources.length + 1);
        for (const result of options.tools.sources(call)) sources.push({ n: sources.length + 1, result });
        return r;
      });
      messages.push(
        { role: "assistant", content: turn.text, tool_calls: replayed.map((r) => ({ name: r.name, arguments: r.arguments })) },
        ...replayed.map((r) => ({ role: "tool" as const, tool_name: r.name, content: r.output })),
      );
    }
    throw new Error(`the model kept calling tools without answering (${MAX_MODEL_CALLS} calls); stopping the response`);
  } catch (err) {
    return signal.reason instanceof ResponseCancelled ? writer.cancel(usage) : writer.fail(errorOf(err, signal), usage);
  }
}

/** The abort reason of a response stopped by `cancel` (or deleted while it ran). */
export class ResponseCancelled extends Error {
  constructor() {
    super("The response was cancelled.");
  }
}

interface Turn {
  text: string;
  calls: ModelToolCall[];
  doneReason: string;
  inputTokens: number;
  outputTokens: number;
}

async function modelTurn(writer: ResponseWriter, request: ChatRequest, chat: ChatModel, signal: AbortSignal): Promise<Turn> {
  const offered = request.tools ?? [];
  const turn: Turn = { text: "", calls: [], doneReason: "stop", inputTokens: 0, outputTokens: 0 };
  let holding = offered.length > 0;
  for await (const chunk of chat.chat(request, signal)) {
    if (chunk.type === "text") {
      turn.text += chunk.text;
      if (holding && mayBeTextToolCall(turn.text)) continue;
      holding = false;
      writer.text(turn.text);
    } else if (chunk.type === "tool_call") turn.calls.push(chunk.call);
    else {
      turn.doneReason = chunk.done_reason;
      turn.inputTokens = chunk.prompt_tokens;
      turn.outputTokens = chunk.completion_tokens;
    }
  }
  if (holding && turn.text.trim() !== "") {
    const parsed = parseTextToolCalls(turn.text, offered);
    if (parsed) {
      turn.calls.push(...parsed);
      turn.text = "";
    } else writer.text(turn.text);
  }
  return turn;
}

/** The reply's citations (runs/citations.ts) as the Responses API shows them: file, name, and where in the text. */
function citationsOf(text: string, sources: NumberedSource[]): { text: string; annotations: unknown[] } {
  const cited = cite(text, sources);
  const names = new Map(sources.map((s) => [s.result.file_id, s.result.file_name]));
  const annotations = cited.annotations.flatMap((a) =>
    a.type === "file_citation" && a.file_citation ? [{ type: "file_citation", file_id: a.file_citation.file_id, filename: names.get(a.file_citation.file_id) ?? "", index: a.end_index }] : [],
  );
  return { text: cited.text, annotations };
}

function resultsOf(results: FileSearchResult[]): NonNullable<FileSearchCallItem["results"]> {
  return results.map((r) => ({ file_id: r.file_id, filename: r.file_name, text: r.content?.map((c) => c.text).join(" ") ?? "", score: r.score, attributes: {} }));
}

/** A response's `error` for a failure; unexpected ones are logged, since their message may not say enough. */
export function errorOf(err: unknown, signal?: AbortSignal): { code: string; message: string } {
  if (signal?.reason instanceof ServerShutdown) return { code: "server_error", message: signal.reason.message };
  if (err instanceof ModelError) return { code: err.code, message: err.message };
  console.error("response failed:", err);
  return { code: "server_error", message: `The response failed: ${err instanceof Error ? err.message : String(err)}` };
}
