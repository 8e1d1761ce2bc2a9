/** The `/api/chat` half of the Ollama fake: turns one scripted step into Ollama's wire replies. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/** The `/api/chat` request body as Ollama receives it. */
export interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string; thinking?: string; tool_calls?: unknown[]; tool_name?: string; images?: string[] }>;
  stream?: boolean;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  format?: unknown;
  think?: boolean | "low" | "medium" | "high";
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * One scripted reply. Fields combine: e.g. `{ text, toolCalls }` streams the text, then the calls.
 * Without `text`/`chunks` the reply has no content.
 */
export interface ChatStep {
  /** Reply text, streamed word by word (`"a b"` → `"a"`, `" b"`) unless `chunks` is given. */
  text?: string;
  /**
   * The model's reasoning, streamed word by word in `message.thinking` before the content (as Ollama does), when
   * the model thinks for this request (capability "thinking" and think not false; gpt-oss always). Otherwise dropped.
   */
  thinking?: string;
  /** Exact content pieces, one NDJSON line each. */
  chunks?: string[];
  /** Wait before each content chunk, in ms. */
  delayMs?: number;
  /** Calls sent in one message line after the text; arguments stay objects, as Ollama sends them. */
  toolCalls?: Array<{
    name: string;
    arguments: Record<string, unknown>;
    /** Only Ollama ≥ 0.12.10 sends call ids; leave it out to mimic older servers. */
    id?: string;
  }>;
  /** Default `"stop"`. */
  doneReason?: string;
  /** `prompt_eval_count`; default: words in all request messages. */
  promptTokens?: number;
  /** `eval_count`; default: number of thinking and content chunks plus tool calls. */
  evalTokens?: number;
  /** After the chunks, send `{"error": errorLine}` on the 200 stream and end it (Ollama's mid-stream failure). */
  errorLine?: string;
  /** Answer with this status and `{"error": error}` instead of a reply. */
  httpStatus?: number;
  error?: string;
  /** Never send anything, not even headers. */
  hang?: boolean;
  /** Send headers and this many chunks, then go silent with the connection open. */
  stallAfterChunks?: number;
  /** Send this many chunks, then destroy the socket (a crash mid-reply). */
  destroyAfterChunks?: number;
}

/** Writes the reply for one chat request; resolves when done (or the client went away). */
export async function writeChat(
  req: IncomingMessage,
  res: ServerResponse,
  body: ChatBody,
  scripted: ChatStep | undefined,
  counter: { chunksSent: number },
  thinks = false,
): Promise<void> {
  const step = scripted ?? echoStep(body);
  if (step.hang) return;
  if (step.httpStatus !== undefined) {
    res.writeHead(step.httpStatus, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ error: step.error ?? "internal server error" }));
    return;
  }
  const chunks = step.chunks ?? splitWords(step.text ?? "");
  const thinking = thinks ? splitWords(step.thinking ?? "") : [];
  if (body.stream === false) return writeWhole(res, body, step, chunks, thinking);

  res.writeHead(200, { "content-type": "application/x-ndjson" });
  res.flushHeaders();
  for (const piece of thinking) {
    if (res.destroyed) return;
    await writeLine(res, { ...head(body), message: { role: "assistant", content: "", thinking: piece }, done: false });
  }
  for (let i = 0; i <= chunks.length; i++) {
    if (res.destroyed) return;
    if (i === step.destroyAfterChunks) return void req.socket.destroy();
    if (i === step.stallAfterChunks) return;
    if (i === chunks.length) break;
    if (step.delayMs) await sleep(step.delayMs);
    if (res.destroyed) return;
    // Awaiting the flush makes destroyAfterChunks drop the socket only after those chunks left.
    await writeLine(res, { ...head(body), message: { role: "assistant", content: chunks[i] }, done: false });
    counter.chunksSent++;
  }
  if (step.errorLine !== undefined) return void res.end(JSON.stringify({ error: step.errorLine }) + "\n");
  if (step.toolCalls?.length) {
    const message = { role: "assistant", content: "", tool_calls: wireCalls(step) };
    void writeLine(res, { ...head(body), message, done: false });
  }
  const last = { ...head(body), message: { role: "assistant", content: "" }, ...doneFields(body, step, chunks, thinking) };
  res.end(JSON.stringify(last) + "\n");
}

/** `stream: false`: one JSON object; failures become an HTTP 500, as Ollama does when nothing was sent yet. */
async function writeWhole(res: ServerResponse, body: ChatBody, step: ChatStep, chunks: string[], thinking: string[]): Promise<void> {
  if (step.delayMs) await sleep(step.delayMs * chunks.length);
  if (step.destroyAfterChunks !== undefined) return void res.socket?.destroy();
  if (step.stallAfterChunks !== undefined) return;
  const json = { "content-type": "application/json; charset=utf-8" };
  if (step.errorLine !== undefined) return void res.writeHead(500, json).end(JSON.stringify({ error: step.errorLine }));
  const message = {
    role: "assistant",
    content: chunks.join(""),
    ...(thinking.length ? { thinking: thinking.join("") } : {}),
    ...(step.toolCalls?.length ? { tool_calls: wireCalls(step) } : {}),
  };
  res.writeHead(200, json).end(JSON.stringify({ ...head(body), message, ...doneFields(body, step, chunks, thinking) }));
}

function head(body: ChatBody): { model: string; created_at: string } {
  return { model: body.model, created_at: new Date().toISOString() };
}

/** eval_count counts the thinking tokens too, as Ollama's does. */
function doneFields(body: ChatBody, step: ChatStep, chunks: string[], thinking: string[]): Record<string, unknown> {
  return {
    done_reason: step.doneReason ?? "stop",
    done: true,
    total_duration: 885_095_291,
    load_duration: 3_753_500,
    prompt_eval_count: step.promptTokens ?? countWords(body.messages),
    prompt_eval_duration: 328_493_000,
    eval_count: step.evalTokens ?? thinking.length + chunks.length + (step.toolCalls?.length ?? 0),
    eval_duration: 552_222_000,
  };
}

function wireCalls(step: ChatStep): unknown[] {
  return (step.toolCalls ?? []).map((c) => ({
    ...(c.id ? { id: c.id } : {}),
    function: { name: c.name, arguments: c.arguments },
  }));
}

/** With an empty script the fake echoes the last user message, so simple tests need no setup. */
function echoStep(body: ChatBody): ChatStep {
  const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
  return { text: lastUser?.content ?? "" };
}

/** Splits before each whitespace run, so chunks look like model tokens (`"a"`, `" b"`) and join back exactly. */
export function splitWords(text: string): string[] {
  return text === "" ? [] : text.split(/(?=\s+\S)/);
}

function countWords(messages: ChatBody["messages"] | undefined): number {
  return (messages ?? []).reduce((n, m) => n + String(m.content ?? "").split(/\s+/).filter(Boolean).length, 0);
}

function writeLine(res: ServerResponse, value: unknown): Promise<void> {
  return new Promise((resolve) => res.write(JSON.stringify(value) + "\n", () => resolve()));
}
