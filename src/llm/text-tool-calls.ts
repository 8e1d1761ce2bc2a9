import type { ChatMessage, ChatRequest, ModelToolCall, ToolDefinition } from "./chat-model.js";

/**
 * Small local models often write a tool call as plain JSON text instead of using the tool_calls field.
 * Returns the calls when `text` is exactly such a call (optionally in a ```json fence) of an offered tool.
 */
export function parseTextToolCalls(text: string, offered: readonly ToolDefinition[]): ModelToolCall[] | null {
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1");
  if (!body.startsWith("{") && !body.startsWith("[")) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const candidates = Array.isArray(parsed) ? parsed : isRecord(parsed) && Array.isArray(parsed.tool_calls) ? parsed.tool_calls : [parsed];
  const names = new Set(offered.map((t) => t.name));
  const calls = candidates.map((c: unknown) => asToolCall(c, names));
  return calls.length > 0 && calls.every((c): c is ModelToolCall => c !== null) ? calls : null;
}

function asToolCall(value: unknown, names: Set<string>): ModelToolCall | null {
  if (!isRecord(value)) return null;
  const inner = isRecord(value.function) ? value.function : value;
  const name = inner.name;
  let args = inner.arguments ?? inner.parameters ?? {};
  if (typeof args === "string") {
    try {
      args = JSON.parse(args);
    } catch {
      return null;
    }
  }
  if (typeof name !== "string" || !names.has(name) || !isRecord(args)) return null;
  return { name, arguments: args };
}

/** True while streamed text could still turn out to be a JSON tool call, so it must be held back. */
export function mayBeTextToolCall(textSoFar: string): boolean {
  const start = textSoFar.trimStart();
  return start === "" || start.startsWith("{") || start.startsWith("[") || "```".startsWith(start.slice(0, 3)) && start.length < 3 || start.startsWith("```");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The same protocol from the other side, for a model whose Ollama template has no tools (it refuses a
 * request with `tools`): the tools are described in the system prompt, with the JSON answer that
 * `parseTextToolCalls` reads back, and earlier calls and their outputs are written as text the model can
 * read (such templates have no tool role). The request keeps no `tools` field.
 */
export function withToolsAsText(req: ChatRequest): ChatRequest {
  const { tools, ...rest } = req;
  const messages = req.messages.map(toolTurnAsText);
  // No tools offered now (tool_choice none), but earlier turns called some: those still go as text.
  if (!tools?.length) return { ...rest, messages };
  const described = [
    "You can call tools. These are the tools, each with the JSON schema of its arguments:",
    JSON.stringify(tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters }))),
    'To call tools, answer with only this JSON and nothing else: {"tool_calls":[{"name":"<tool name>","arguments":{<the arguments>}}]}',
    "Their outputs come back in the next message. Otherwise answer in plain text.",
  ].join("\n");
  const first = messages[0];
  if (first?.role === "system") messages[0] = { ...first, content: `${first.content}\n\n${described}` };
  else messages.unshift({ role: "system", content: described });
  return { ...rest, messages };
}

function toolTurnAsText(m: ChatMessage): ChatMessage {
  if (m.role === "tool") return { role: "user", content: `Output of the tool ${m.tool_name}:\n${m.content}` };
  if (m.role !== "assistant" || !m.tool_calls?.length) return m;
  const { tool_calls: calls, ...rest } = m;
  const asJson = JSON.stringify({ tool_calls: calls.map((c) => ({ name: c.name, arguments: c.arguments })) });
  return { ...rest, content: m.content ? `${m.content}\n${asJson}` : asJson };
}
