import type { Conversation, InputContent, MessageItem, OutputText, ResponseItem } from "../api/responses-wire.js";
import type { Message, MessageContentPart, RunStep, StepToolCall } from "../api/wire.js";
import type { MessageCreateInput } from "../api/common.js";
import { badRequest } from "../errors.js";
import type { ThreadService } from "../objects/thread-service.js";
import type { Repos } from "../store/repos.js";
import type { BuiltinCall } from "../tools/builtin-tool.js";
import type { Toolbox } from "../tools/toolbox.js";

/** Whether a conversation id names an Assistants thread (read and continued through the bridge). */
export function isThreadId(id: string): boolean {
  return id.startsWith("thread_");
}

export interface ThreadBridgeDeps {
  repos: Pick<Repos, "threads" | "messages" | "runs" | "steps" | "files">;
  threads: Pick<ThreadService, "insertMessage">;
  tools: Toolbox;
}

/**
 * An Assistants thread read as a conversation, and continued by responses (what OpenAI never shipped). The
 * thread is the conversation (its metadata, its creation time); its messages and its runs' tool calls, in the
 * order they happened, are the items; a response in it adds its messages to the thread, so the Assistants
 * endpoints show them too. Mapping:
 * - user message → `message` (role user) with `input_text` / `input_image` (image_file → file_id, image_url → URL);
 * - assistant message → `message` (role assistant) with `output_text`, file_citation annotations as
 *   `{file_id, filename, index}` (the citation's end);
 * - a run's tool_calls step, before that run's reply: function → `function_call` + `function_call_output`,
 *   file_search → `file_search_call`, code_interpreter → `code_interpreter_call` (the thread is its container);
 * - written back: the response's message items as thread messages (user and assistant text and images; system
 *   and developer messages and tool calls have no place in a thread and stay in the response).
 */
export class ThreadBridge {
  constructor(private readonly deps: ThreadBridgeDeps) {}

  conversation(threadId: string): Conversation | null {
    const thread = this.deps.repos.threads.get(threadId);
    return thread && { id: thread.id, object: "conversation", created_at: thread.created_at, metadata: thread.metadata };
  }

  items(threadId: string): ResponseItem[] {
    const { messages, runs, steps } = this.deps.repos;
    const items: ResponseItem[] = [];
    const told = new Set<string>();
    const runCalls = (runId: string) => {
      if (told.has(runId)) return;
      told.add(runId);
      for (const step of steps.all({ run_id: runId })) items.push(...this.stepItems(step, threadId));
    };
    for (const message of messages.all({ thread_id: threadId })) {
      if (message.role === "assistant" && message.run_id) runCalls(message.run_id); // its calls came before its reply
      items.push(this.messageItem(message));
    }
    // Runs that ended without a reply (waiting for tool outputs, failed): their calls, last.
    for (const run of runs.all({ thread_id: threadId })) runCalls(run.id);
    return items;
  }

  /**
   * Adds messages to the thread, answering them as items. A response's items (`strict` unset): what a thread
   * cannot hold stays in the response. Items added directly (`strict` names their field): anything a thread
   * cannot hold is a 400 naming it, and nothing is written.
   */
  append(threadId: string, items: readonly ResponseItem[], strict?: string): MessageItem[] {
    const inputs = items.map((item, i) => {
      const input = item.type === "message" ? toMessageInput(item) : null;
      if (!input && strict) throw badRequest(`A thread holds user and assistant messages only; this ${item.type === "message" ? `${item.role} message` : item.type} cannot be added to it.`, `${strict}[${i}]`, "unsupported_value");
      return input;
    });
    return inputs.flatMap((input) => (input ? [this.messageItem(this.deps.threads.insertMessage(threadId, input, strict ?? "items"))] : []));
  }

  /** A run holding the thread refuses a response in it, as it refuses a new message. */
  refuseWhileRunning(threadId: string, param: string): void {
    const active = this.deps.repos.runs.activeForThread(threadId);
    if (active) throw badRequest(`Thread ${threadId} already has an active run ${active.id}.`, param, "conversation_locked");
  }

  private messageItem(message: Message): MessageItem {
    const content = message.content.flatMap((part) => (message.role === "user" ? inputPart(part) : this.outputPart(part)));
    return { id: message.id, type: "message", role: message.role, status: message.status, content };
  }

  private outputPart(part: MessageContentPart): OutputText[] {
    if (part.type !== "text") return [];
    const annotations = part.text.annotations.flatMap((a) =>
      a.type === "file_citation" && a.file_citation
        ? [{ type: "file_citation", file_id: a.file_citation.file_id, filename: this.deps.repos.files.get(a.file_citation.file_id)?.filename ?? "", index: a.end_index }]
        : [],
    );
    return [{ type: "output_text", text: part.text.value, annotations, logprobs: [] }];
  }

  private stepItems(step: RunStep, threadId: string): ResponseItem[] {
    if (step.step_details.type !== "tool_calls" || step.status !== "completed") return [];
    return step.step_details.tool_calls.flatMap((call: StepToolCall): ResponseItem[] => {
      if (call.type === "function") {
        const fn = { id: `fc_${call.id}`, type: "function_call" as const, status: "completed" as const, call_id: call.id, name: call.function.name, arguments: call.function.arguments };
        const output = call.function.output;
        return output === null || output === undefined ? [fn] : [fn, { id: `fco_${call.id}`, type: "function_call_output", status: "completed", call_id: call.id, output }];
      }
      return [this.deps.tools.finishedItem(call as BuiltinCall, threadId)];
    });
  }
}

function inputPart(part: MessageContentPart): InputContent[] {
  if (part.type === "text") return [{ type: "input_text", text: part.text.value }];
  if (part.type === "image_file") return [{ type: "input_image", file_id: part.image_file.file_id, image_url: null, detail: part.image_file.detail ?? "auto" }];
  return [{ type: "input_image", file_id: null, image_url: part.image_url.url, detail: part.image_url.detail ?? "auto" }];
}

/** A response's message as a thread message; null for what a thread cannot hold (system, developer, no content). */
function toMessageInput(item: MessageItem): MessageCreateInput | null {
  if (item.role !== "user" && item.role !== "assistant") return null;
  const content = item.content.flatMap((part): Exclude<MessageCreateInput["content"], string> => {
    if (part.type === "input_text" || part.type === "output_text") return part.text === "" ? [] : [{ type: "text", text: part.text }];
    if (part.type === "input_image" && item.role === "user") {
      if (part.file_id) return [{ type: "image_file", image_file: { file_id: part.file_id, detail: part.detail } }];
      if (part.image_url) return [{ type: "image_url", image_url: { url: part.image_url, detail: part.detail } }];
    }
    return [];
  });
  return content.length === 0 ? null : { role: item.role, content };
}
