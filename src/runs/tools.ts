import type { AssistantTool, ToolChoice } from "../api/wire.js";
import type { ModelToolCall, ToolDefinition } from "../llm/chat-model.js";

/** Built-in tools are offered to the model as functions with these names. */
export const FILE_SEARCH_FUNCTION = "file_search";
export const CODE_INTERPRETER_FUNCTION = "code_interpreter";

/** Descriptions of the built-in tools, supplied by the modules that implement them. */
export interface BuiltinToolDescriptions {
  fileSearch: string;
  codeInterpreter: string;
}

/** The tools a model request offers, after tool_choice narrows them. */
export function offeredTools(tools: AssistantTool[], choice: ToolChoice, builtins: BuiltinToolDescriptions): ToolDefinition[] {
  if (choice === "none") return [];
  const all = tools.map((tool) => toDefinition(tool, builtins));
  if (typeof choice === "object") {
    const wanted = choice.type === "function" ? choice.function.name : builtinName(choice.type);
    return all.filter((t) => t.name === wanted);
  }
  return all;
}

/** A line added to the prompt when tool_choice demands a call: Ollama has no way to force one. */
export function toolChoiceHint(choice: ToolChoice): string | null {
  if (choice === "required") return "You must answer by calling one of the available tools.";
  if (typeof choice === "object") {
    const name = choice.type === "function" ? choice.function.name : builtinName(choice.type);
    return `You must answer by calling the tool \`${name}\`.`;
  }
  return null;
}

function builtinName(type: "file_search" | "code_interpreter"): string {
  return type === "file_search" ? FILE_SEARCH_FUNCTION : CODE_INTERPRETER_FUNCTION;
}

function toDefinition(tool: AssistantTool, builtins: BuiltinToolDescriptions): ToolDefinition {
  switch (tool.type) {
    case "function":
      return {
        name: tool.function.name,
        ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
        parameters: tool.function.parameters ?? { type: "object", properties: {} },
      };
    case "file_search":
      return {
        name: FILE_SEARCH_FUNCTION,
        description: builtins.fileSearch,
        parameters: {
          type: "object",
          properties: { query: { type: "string", description: "What to look for, in the words the documents would use." } },
          required: ["query"],
        },
      };
    case "code_interpreter":
      return {
        name: CODE_INTERPRETER_FUNCTION,
        description: builtins.codeInterpreter,
        parameters: {
          type: "object",
          properties: { code: { type: "string", description: "JavaScript source to run." } },
          required: ["code"],
        },
      };
  }
}

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
