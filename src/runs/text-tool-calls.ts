import type { ModelToolCall, ToolDefinition } from "../llm/chat-model.js";

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
