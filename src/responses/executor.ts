import type { Response, ResponseUsage } from "../api/responses-wire.js";
import { ModelError, type ChatModel, type ChatRequest, type ModelToolCall } from "../llm/chat-model.js";
import { ServerShutdown } from "../runs/state.js";
import { mayBeTextToolCall, parseTextToolCalls } from "../runs/text-tool-calls.js";
import { zeroUsage, type ResponseWriter } from "./response-writer.js";

/**
 * One model call of a response, streamed through its writer: text as it arrives (held back while it could
 * still be a tool call written as JSON, as runs do), then the function calls, then the end. Function calls end
 * the response `completed`: the client runs them and continues with `previous_response_id`. Any failure ends
 * it `failed` with an error saying what to do, never the server.
 */
export async function executeResponse(
  writer: ResponseWriter,
  request: ChatRequest,
  options: { chat: ChatModel; parallelToolCalls: boolean },
  signal: AbortSignal,
): Promise<Response> {
  const offered = request.tools ?? [];
  const usage: ResponseUsage = zeroUsage();
  let text = "";
  let holding = offered.length > 0;
  let doneReason = "stop";
  const calls: ModelToolCall[] = [];
  try {
    for await (const chunk of options.chat.chat(request, signal)) {
      if (chunk.type === "text") {
        text += chunk.text;
        if (holding && mayBeTextToolCall(text)) continue;
        holding = false;
        writer.text(text);
      } else if (chunk.type === "tool_call") calls.push(chunk.call);
      else {
        doneReason = chunk.done_reason;
        usage.input_tokens = chunk.prompt_tokens;
        usage.output_tokens = chunk.completion_tokens;
        usage.total_tokens = chunk.prompt_tokens + chunk.completion_tokens;
      }
    }
  } catch (err) {
    return writer.fail(errorOf(err, signal), usage);
  }
  if (holding && text.trim() !== "") {
    const parsed = parseTextToolCalls(text, offered);
    if (parsed) calls.push(...parsed);
    else writer.text(text);
  }
  const truncated = doneReason === "length" && calls.length === 0;
  writer.finishMessage(truncated ? "incomplete" : "completed");
  for (const call of options.parallelToolCalls ? calls : calls.slice(0, 1)) writer.functionCall(call.name, JSON.stringify(call.arguments));
  return truncated ? writer.incomplete(usage, "max_output_tokens") : writer.complete(usage);
}

/** A response's `error` for a failure; unexpected ones are logged, since their message may not say enough. */
export function errorOf(err: unknown, signal?: AbortSignal): { code: string; message: string } {
  if (signal?.reason instanceof ServerShutdown) return { code: "server_error", message: signal.reason.message };
  if (err instanceof ModelError) return { code: err.code, message: err.message };
  console.error("response failed:", err);
  return { code: "server_error", message: `The response failed: ${err instanceof Error ? err.message : String(err)}` };
}
