import type { CodeInterpreterOutput } from "../api/responses-wire.js";
import { newId } from "../ids.js";
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
    responses: {
      itemType: "code_interpreter_call",
      // The code is whole when the call is known (a local model's call arrives whole): one delta carries it.
      open: (call, { containerId }) => ({
        item: { id: newId("ci_"), type: "code_interpreter_call", status: "in_progress", container_id: containerId, code: "", outputs: null },
        events: [
          { type: "response.code_interpreter_call.in_progress" },
          { type: "response.code_interpreter_call_code.delta", fields: { delta: call.code_interpreter.input }, apply: (item) => void (item.code = call.code_interpreter.input) },
          { type: "response.code_interpreter_call_code.done", fields: { code: call.code_interpreter.input } },
          { type: "response.code_interpreter_call.interpreting", apply: (item) => void (item.status = "interpreting") },
        ],
      }),
      finish: (call) => [
        {
          type: "response.code_interpreter_call.completed",
          apply: (item) => Object.assign(item, { status: "completed", outputs: call.code_interpreter.outputs.map(responseOutput) }),
        },
      ],
      callOf: (item) => ({
        id: item.id,
        type: "code_interpreter",
        code_interpreter: {
          input: item.code ?? "",
          outputs: (item.outputs ?? []).map((o) => (o.type === "logs" ? o : { type: "image", image: { file_id: o.url.split("/").at(-2) ?? "" } })),
        },
      }),
      hidden: { include: "code_interpreter_call.outputs", field: "outputs" },
    },
  };
}

/** An image the code wrote is served by the files API; its URL is that file's content, relative to the server. */
function responseOutput(output: CodeOutputs[number]): CodeInterpreterOutput {
  return output.type === "logs" ? { type: "logs", logs: output.logs } : { type: "image", url: `/v1/files/${output.image.file_id}/content` };
}
