import type { Annotation, Assistant, AssistantTool, Message, MessageContentPart, Run, RunStep, StepToolCall, Thread, ToolChoice } from "../api/wire.js";
import type { AssistantToolV1, AssistantV1, MessageFile, MessageV1, RunStepV1, RunV1, StepToolCallV1, ThreadV1, ToolChoiceV1 } from "../api/wire-v1.js";

/** What the v1 view reads besides the object itself: an assistant's files (AssistantService). */
export interface V1Files {
  /** The assistant's files as v1 lists them: code_interpreter's, then its file_search stores' (oldest first). */
  assistantFileIds(assistant: Assistant): string[];
  /** The assistant a run ran with; null once deleted. */
  findAssistant(id: string): Assistant | null;
  /** RUN_EXPIRY_SECONDS: how long a run could wait before it expired. */
  runExpirySeconds: number;
}

/**
 * The v2 objects as a v1 client reads them (api/wire-v1.ts). One mapping for every answer and every streamed
 * event: `present` dispatches on the `object` field, so a list, a single object and an SSE event's data go
 * through the same code. Everything v2-only is left out, everything v1 named differently is renamed.
 */
export class V1View {
  constructor(private readonly files: V1Files) {}

  /** Any response body or event data; values that are no Assistants object (errors, deletions) pass unchanged. */
  present(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const object = (value as { object?: unknown }).object;
    switch (object) {
      case "list": {
        const list = value as { data: unknown[] };
        return { ...list, data: list.data.map((item) => this.present(item)) };
      }
      case "assistant":
        return this.assistant(value as Assistant);
      case "thread":
        return thread(value as Thread);
      case "thread.message":
        return message(value as Message);
      case "thread.run":
        return this.run(value as Run);
      case "thread.run.step":
        return step(value as RunStep);
      case "thread.run.step.delta":
        return stepDelta(value as StepDelta);
      default:
        return value;
    }
  }

  assistant(a: Assistant): AssistantV1 {
    return {
      id: a.id,
      object: "assistant",
      created_at: a.created_at,
      name: a.name,
      description: a.description,
      model: a.model,
      instructions: a.instructions,
      tools: a.tools.map(tool),
      file_ids: this.files.assistantFileIds(a),
      metadata: a.metadata,
    };
  }

  /**
   * v1 runs list the files of their assistant (runs kept no file list of their own). v1 declared `expires_at`
   * an integer and the v1 reference shows it on ended runs too (`created_at` + 10 minutes), where v2 answers
   * null: a v1 client gets the time the run would have expired.
   */
  run(r: Run): RunV1 {
    const { tool_resources: _resources, top_p: _topP, parallel_tool_calls: _parallel, tools, tool_choice, ...rest } = r;
    const assistant = this.files.findAssistant(r.assistant_id);
    return {
      ...rest,
      expires_at: r.expires_at ?? r.created_at + this.files.runExpirySeconds,
      tools: tools.map(tool),
      tool_choice: toolChoice(tool_choice),
      file_ids: assistant ? this.files.assistantFileIds(assistant) : [],
    };
  }
}

/** A message's files as v1's `/threads/{t}/messages/{m}/files` lists them. */
export function messageFiles(m: Message): MessageFile[] {
  return fileIdsOf(m).map((id) => ({ id, object: "thread.message.file", created_at: m.created_at, message_id: m.id }));
}

function tool(t: AssistantTool): AssistantToolV1 {
  switch (t.type) {
    case "file_search":
      return { type: "retrieval" };
    case "code_interpreter":
      return { type: "code_interpreter" };
    case "function": {
      const { name, description, parameters } = t.function; // v1 functions had no `strict`
      return { type: "function", function: { name, ...(description !== undefined ? { description } : {}), ...(parameters !== undefined ? { parameters } : {}) } };
    }
  }
}

function toolChoice(choice: ToolChoice): ToolChoiceV1 {
  return typeof choice === "object" && choice.type === "file_search" ? { type: "retrieval" } : (choice as ToolChoiceV1);
}

function thread(t: Thread): ThreadV1 {
  return { id: t.id, object: "thread", created_at: t.created_at, metadata: t.metadata };
}

function message(m: Message): MessageV1 {
  const { attachments: _attachments, content, ...rest } = m;
  return { ...rest, content: content.map(contentPart), file_ids: fileIdsOf(m) };
}

function fileIdsOf(m: Message): string[] {
  return [...new Set((m.attachments ?? []).map((a) => a.file_id))];
}

/** v1 citations always carry `quote` (v2 dropped it; this server keeps it when known). */
function contentPart(part: MessageContentPart): MessageContentPart {
  if (part.type !== "text" || part.text.annotations.length === 0) return part;
  return { type: "text", text: { ...part.text, annotations: part.text.annotations.map(annotation) } };
}

function annotation(a: Annotation): Annotation {
  return a.file_citation ? { ...a, file_citation: { ...a.file_citation, quote: a.file_citation.quote ?? "" } } : a;
}

function step(s: RunStep): RunStepV1 {
  if (s.step_details.type !== "tool_calls") return s as RunStepV1;
  return { ...s, step_details: { type: "tool_calls", tool_calls: s.step_details.tool_calls.map(toolCall) } };
}

function toolCall(call: StepToolCall): StepToolCallV1 {
  return call.type === "file_search" ? { id: call.id, type: "retrieval", retrieval: {} } : call;
}

interface StepDelta {
  id: string;
  object: "thread.run.step.delta";
  delta: { step_details?: { type: string; tool_calls?: ({ index: number; id?: string; type?: string } & Record<string, unknown>)[] } };
}

function stepDelta(d: StepDelta): StepDelta {
  const calls = d.delta.step_details?.tool_calls;
  if (!calls?.some((c) => c.type === "file_search")) return d;
  const tool_calls = calls.map((c) => (c.type === "file_search" ? { index: c.index, ...(c.id !== undefined ? { id: c.id } : {}), type: "retrieval", retrieval: {} } : c));
  return { ...d, delta: { ...d.delta, step_details: { ...d.delta.step_details!, tool_calls } } };
}
