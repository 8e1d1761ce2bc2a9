import { SANDBOX_API_DESCRIPTION } from "../sandbox/index.js";
import type { BuiltinCall, BuiltinTool, ToolScope } from "./builtin-tool.js";

export type CodeOutputs = BuiltinCall<"code_interpreter">["code_interpreter"]["outputs"];

/** What code_interpreter needs: something that runs the model's JavaScript in a scope's session (the sandbox). */
export interface ScopeCodeRunner {
  /** `signal`: the run's or response's; aborting it (cancel) stops the code. Errors in the code are outputs, not throws. */
  run(scope: ToolScope, code: string, signal: AbortSignal): Promise<{ outputs: CodeOutputs }>;
}

/** code_interpreter: the model writes JavaScript, the sandbox runs it, the console output comes back. */
export function codeInterpreterTool(runner: ScopeCodeRunner): BuiltinTool<"code_interpreter"> {
  return {
    type: "code_interpreter",
    definition: {
      name: "code_interpreter",
      description: SANDBOX_API_DESCRIPTION,
      parameters: {
        type: "object",
        properties: { code: { type: "string", description: "JavaScript source to run." } },
        required: ["code"],
      },
    },
    begin: (id, args) => ({ id, type: "code_interpreter", code_interpreter: { input: String(args.code ?? ""), outputs: [] } }),
    async run(call, { scope, signal }) {
      const { outputs } = await runner.run(scope, call.code_interpreter.input, signal);
      return { ...call, code_interpreter: { ...call.code_interpreter, outputs } };
    },
    replay: (call) => ({
      arguments: { code: call.code_interpreter.input },
      output: call.code_interpreter.outputs.map((o) => (o.type === "logs" ? o.logs : `[image file ${o.image.file_id}]`)).join("\n"),
    }),
    sources: () => [],
    // Outputs stream as one delta once the code ran, each with its index (as deltas of arrays must carry).
    inputDeltas: (call, index) => [
      { index, id: call.id, type: "code_interpreter", code_interpreter: { input: "", outputs: [] } },
      { index, type: "code_interpreter", code_interpreter: { input: call.code_interpreter.input } },
    ],
    outputDelta: (call, index) => ({
      index,
      type: "code_interpreter",
      code_interpreter: { outputs: call.code_interpreter.outputs.map((output, i) => ({ index: i, ...output })) },
    }),
  };
}
