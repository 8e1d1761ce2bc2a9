import type { CodeInterpreterCallItem, FileSearchCallItem } from "../api/responses-wire.js";
import type { AttributeFilter } from "../api/vector-stores.js";
import type { AssistantTool, FileSearchResult, StepToolCall } from "../api/wire.js";
import type { ToolDefinition } from "../llm/chat-model.js";

/** The tool types a run executes itself (function tools go back to the client). */
export type BuiltinType = Exclude<AssistantTool["type"], "function">;
/** A built-in tool's call as a run step stores it (the Assistants wire shape). */
export type BuiltinCall<T extends BuiltinType = BuiltinType> = Extract<StepToolCall, { type: T }>;
/** The run's entry for a tool (file_search carries its options there). */
export type BuiltinConfig<T extends BuiltinType = BuiltinType> = Extract<AssistantTool, { type: T }>;

type CodeOutput = BuiltinCall<"code_interpreter">["code_interpreter"]["outputs"][number];

/**
 * One entry of a tool_calls step delta: a call opening (whole, or with the text the model wrote still empty),
 * that text (a function's `arguments`, code_interpreter's `input`), or outputs added to a code_interpreter call.
 * Only what is new since the last event: stream clients append delta strings and arrays to their snapshot.
 */
export type ToolCallDelta =
  | ({ index: number } & StepToolCall)
  | { index: number; type: "function"; function: { arguments: string } }
  | { index: number; type: "code_interpreter"; code_interpreter: { input: string } }
  | { index: number; type: "code_interpreter"; code_interpreter: { outputs: (CodeOutput & { index: number })[] } };

/**
 * What built-in calls work on, resolved once by whoever executes them: a run from its assistant and thread
 * (runs/tool-scope.ts), a response from its request. Tools see no Run or Response, so both APIs share them.
 */
export interface ToolScope {
  /** The tools as configured (file_search takes its options from its entry). */
  tools: readonly AssistantTool[];
  /** The vector stores file_search reads (ids that no longer exist are skipped). */
  vectorStoreIds: readonly string[];
  /** An attribute filter on file_search's results (the Responses API's `filters`). */
  filters?: AttributeFilter | undefined;
  /** The sandbox session code_interpreter runs in: variables live on across calls with the same key. */
  sessionKey: string;
  /** Uploaded files code_interpreter loads into the sandbox. */
  codeFileIds: readonly string[];
  /** Told about the files code wrote, once stored, so the reply can cite them. */
  filesWritten?: ((files: { file_id: string; name: string }[]) => void) | undefined;
}

/** What a tool call runs with: its scope, and the signal of its run or response (a cancel stops the tool). */
export interface ToolContext {
  scope: ToolScope;
  signal: AbortSignal;
}

/** A finished call as the model is shown it in later turns: what it asked for, and what it got back. */
export interface ReplayedCall {
  arguments: Record<string, unknown>;
  output: string;
}

/**
 * A built-in tool, whole: what the model is offered, how its call is recorded and run, how a finished call is
 * replayed to the model, and what the stream shows of it. The run engine knows tools only through this, so a
 * new tool is one module plus its registration in the composition root.
 */
export interface BuiltinTool<T extends BuiltinType = BuiltinType> {
  readonly type: T;
  /** The definition offered to the model (a function, since that is what a local model can call). */
  readonly definition: ToolDefinition;
  /** The model's call as the step records it before it runs. */
  begin(id: string, args: Record<string, unknown>, config: BuiltinConfig<T>): BuiltinCall<T>;
  /** Runs the call; the returned call carries the outputs. Failures of the tool are outputs, not throws. */
  run(call: BuiltinCall<T>, context: ToolContext): Promise<BuiltinCall<T>>;
  /** How the finished call is shown to the model; `firstSource` is the number its first passage gets. */
  replay(call: BuiltinCall<T>, firstSource: number): ReplayedCall;
  /** Passages the call showed the model, in order: replies cite them by number across the run. */
  sources(call: BuiltinCall<T>): FileSearchResult[];
  /**
   * How the stream shows the call before it runs, as the hosted API streamed it: a first delta that opens it
   * (index, id, type, the model's text empty), then that text; clients tell "created" from "delta" by this
   * (the SDKs report a call's first delta as created). A call with no text of the model's opens whole.
   */
  inputDeltas(call: BuiltinCall<T>, index: number): ToolCallDelta[];
  /**
   * What the stream adds once the call finished, beyond the call announced when the step opened; null when its
   * outputs arrive only with `thread.run.step.completed` (as the hosted API sent file_search results).
   */
  outputDelta(call: BuiltinCall<T>, index: number): ToolCallDelta | null;
  /** How the call appears in the Responses API. */
  readonly responses: ResponsesShape<T>;
}

/** The Responses output item of each built-in tool's calls. */
export type CallItemOf<T extends BuiltinType> = T extends "file_search" ? FileSearchCallItem : CodeInterpreterCallItem;

/** One streamed event of a call's output item, and the change to the item it announces (made before it is sent). */
export interface ItemEvent<I> {
  type: string;
  fields?: Record<string, unknown>;
  apply?: (item: I) => void;
}

/**
 * A built-in call as the Responses API shows it: its output item, the events around running it (between
 * `output_item.added` and `output_item.done`, which the writer sends), how an earlier item is replayed to the
 * model (as the call it records, so both APIs replay alike), and the field `include[]` must ask for.
 */
export interface ResponsesShape<T extends BuiltinType> {
  readonly itemType: CallItemOf<T>["type"];
  /** The item as `output_item.added` shows it, and the events that follow before the call runs. */
  open(call: BuiltinCall<T>, context: { containerId: string }): { item: CallItemOf<T>; events: ItemEvent<CallItemOf<T>>[] };
  /** The events once the call ran; the last completes the item. */
  finish(call: BuiltinCall<T>): ItemEvent<CallItemOf<T>>[];
  /** An item of an earlier response as the call it records. */
  callOf(item: CallItemOf<T>): BuiltinCall<T>;
  /** The field left out of items unless `include[]` names it (stored either way: later turns read it). */
  readonly hidden: { include: string; field: keyof CallItemOf<T> & string };
}

/** Any one registered tool (a union, since each tool's methods take only its own call type). */
export type AnyBuiltinTool = { [T in BuiltinType]: BuiltinTool<T> }[BuiltinType];
