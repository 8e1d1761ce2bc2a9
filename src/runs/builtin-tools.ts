import type { FileSearchResult, Run, StepToolCall } from "../api/wire.js";

/**
 * What a built-in tool call produced, as stored on the step. The model reads these same stored outputs
 * next (see prompt.ts), so a resumed run sees exactly what the first attempt saw.
 */
export interface FileSearchOutcome {
  /** Results with their content (stripped from API responses unless `include[]` asks for it). */
  results: FileSearchResult[];
}

export interface CodeInterpreterOutcome {
  outputs: Extract<StepToolCall, { type: "code_interpreter" }>["code_interpreter"]["outputs"];
}

/**
 * The built-in tools a run can execute inline (they never stop the run at requires_action). Each is
 * optional: a server without retrieval or a sandbox tells the model the tool is unavailable.
 */
export interface BuiltinTools {
  readonly fileSearchDescription: string;
  readonly codeInterpreterDescription: string;
  fileSearch?(run: Run, query: string, signal: AbortSignal): Promise<FileSearchOutcome>;
  codeInterpreter?(run: Run, code: string, signal: AbortSignal): Promise<CodeInterpreterOutcome>;
}
