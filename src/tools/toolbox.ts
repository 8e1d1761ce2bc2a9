import type { BuiltinCallItem } from "../api/responses-wire.js";
import type { AssistantTool, FileSearchResult, StepToolCall, ToolChoice } from "../api/wire.js";
import { newId } from "../ids.js";
import type { ModelToolCall, ToolDefinition } from "../llm/chat-model.js";
import type { AnyBuiltinTool, BuiltinCall, BuiltinConfig, BuiltinTool, BuiltinType, ItemEvent, ReplayedCall, ToolCallDelta, ToolContext } from "./builtin-tool.js";

/** A call replayed to the model under the name it was offered. */
export interface ReplayedNamedCall extends ReplayedCall {
  name: string;
}

/**
 * The registered built-in tools, and every rule that treats tools alike: what a request offers after
 * tool_choice, how a model's call becomes a step call, and how calls are run, replayed and streamed.
 * Function tools pass through (the client runs them).
 */
export class Toolbox {
  // Keyed by type, so a tool is only ever handed calls of its own type (hence the widening cast on insert).
  private readonly byType = new Map<BuiltinType, BuiltinTool>();
  private readonly registered: AnyBuiltinTool[];

  constructor(tools: readonly AnyBuiltinTool[]) {
    for (const tool of tools) this.byType.set(tool.type, tool as unknown as BuiltinTool);
    this.registered = [...tools];
  }

  /** A copy with `tools` replacing those of the same type (tests swap in stand-ins). */
  with(tools: readonly AnyBuiltinTool[]): Toolbox {
    return new Toolbox([...this.registered.filter((t) => !tools.some((o) => o.type === t.type)), ...tools]);
  }

  /** The definitions a model request offers, after tool_choice narrows them. Unregistered built-ins are not offered. */
  offered(tools: readonly AssistantTool[], choice: ToolChoice): ToolDefinition[] {
    if (choice === "none") return [];
    const all = tools.flatMap((tool) => {
      const definition = tool.type === "function" ? functionDefinition(tool) : this.byType.get(tool.type)?.definition;
      return definition ? [definition] : [];
    });
    if (typeof choice !== "object") return all;
    const wanted = this.choiceName(choice);
    return all.filter((t) => t.name === wanted);
  }

  /** Whether tool_choice demands a call (required, or one named tool). */
  mustCall(choice: ToolChoice): boolean {
    return choice === "required" || typeof choice === "object";
  }

  /** A line added to the prompt when tool_choice demands a call: Ollama has no way to force one. */
  hint(choice: ToolChoice): string | null {
    if (!this.mustCall(choice)) return null;
    if (choice === "required") return "You must answer by calling one of the available tools.";
    if (typeof choice === "object") return `You must answer by calling the tool \`${this.choiceName(choice)}\`.`;
    return null;
  }

  /** The model's call as a step records it: a built-in among `configured`, or else a function call. */
  stepCall(configured: readonly AssistantTool[], call: ModelToolCall): StepToolCall {
    const id = newId("call_");
    const config = configured.find((t) => t.type !== "function" && this.byType.get(t.type)?.definition.name === call.name);
    if (config && config.type !== "function") return this.byType.get(config.type)!.begin(id, call.arguments, config as BuiltinConfig);
    return { id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments), output: null } };
  }

  /** Runs a built-in call (function calls are returned as they are: the client runs those). */
  async run(call: StepToolCall, context: ToolContext): Promise<StepToolCall> {
    if (call.type === "function") return call;
    const tool = this.byType.get(call.type);
    return tool ? tool.run(call, context) : call;
  }

  replay(call: StepToolCall, firstSource: number): ReplayedNamedCall {
    if (call.type === "function") return { name: call.function.name, arguments: parseArguments(call.function.arguments), output: call.function.output ?? "" };
    const tool = this.byType.get(call.type);
    const replayed = tool ? tool.replay(call, firstSource) : { arguments: {}, output: "" };
    return { name: tool?.definition.name ?? call.type, ...replayed };
  }

  sources(call: StepToolCall): FileSearchResult[] {
    return call.type === "function" ? [] : (this.byType.get(call.type)?.sources(call) ?? []);
  }

  /** The deltas that open a call and carry what the model wrote (see BuiltinTool.inputDeltas). */
  inputDeltas(call: StepToolCall, index: number): ToolCallDelta[] {
    if (call.type === "function") {
      const { name, arguments: args } = call.function;
      return [
        { index, id: call.id, type: "function", function: { name, arguments: "", output: null } },
        { index, type: "function", function: { arguments: args } },
      ];
    }
    return this.byType.get(call.type)?.inputDeltas(call, index) ?? [{ index, ...call }];
  }

  outputDelta(call: StepToolCall, index: number): ToolCallDelta | null {
    return call.type === "function" ? null : (this.byType.get(call.type)?.outputDelta(call, index) ?? null);
  }

  /** A built-in call as a Responses output item: the item `output_item.added` shows, and the events before it runs. */
  openItem(call: BuiltinCall, containerId: string): { item: BuiltinCallItem; events: ItemEvent<BuiltinCallItem>[] } {
    return this.tool(call.type).responses.open(call as never, { containerId }) as { item: BuiltinCallItem; events: ItemEvent<BuiltinCallItem>[] };
  }

  /** The events that end a built-in call's item once the call ran. */
  finishItem(call: BuiltinCall): ItemEvent<BuiltinCallItem>[] {
    return this.tool(call.type).responses.finish(call as never) as ItemEvent<BuiltinCallItem>[];
  }

  /** An earlier response's built-in call item as the call it records (null: no registered tool makes such items). */
  /** A finished call as its Responses item (a thread's steps read as a conversation's items). */
  finishedItem(call: BuiltinCall, containerId: string): BuiltinCallItem {
    const { item, events } = this.openItem(call, containerId);
    for (const event of [...events, ...this.finishItem(call)]) event.apply?.(item);
    return item;
  }

  callOfItem(item: BuiltinCallItem): BuiltinCall | null {
    const tool = this.itemTool(item);
    return tool ? (tool.responses.callOf(item as never) as BuiltinCall) : null;
  }

  /** The item as shown: the field its tool keeps back unless `include[]` names it is null. */
  presentItem<I extends { type: string }>(item: I, include: readonly string[]): I {
    const hidden = this.itemTool(item)?.responses.hidden;
    return hidden && !include.includes(hidden.include) ? { ...item, [hidden.field]: null } : item;
  }

  private itemTool(item: { type: string }): BuiltinTool | undefined {
    return [...this.byType.values()].find((t) => t.responses.itemType === item.type);
  }

  private tool(type: BuiltinType): BuiltinTool {
    const tool = this.byType.get(type);
    if (!tool) throw new Error(`no built-in tool of type ${type} is registered`);
    return tool;
  }

  private choiceName(choice: Exclude<ToolChoice, string>): string {
    return choice.type === "function" ? choice.function.name : (this.byType.get(choice.type)?.definition.name ?? choice.type);
  }
}

function functionDefinition(tool: Extract<AssistantTool, { type: "function" }>): ToolDefinition {
  return {
    name: tool.function.name,
    ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
    parameters: tool.function.parameters ?? { type: "object", properties: {} },
  };
}

/** A tool call's JSON arguments as an object; anything else (bad JSON, an array) is no arguments. */
export function parseArguments(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
