import type { ResponseCreateParams, ToolParam } from "../api/responses.js";
import type { Assistant, AssistantTool } from "../api/wire.js";
import { badRequest } from "../errors.js";

/** A create request once its prompt is applied: the model is known. */
export type ResolvedCreateParams = ResponseCreateParams & { model: string };

/**
 * `prompt: {id: "asst_..."}`: a stored Assistant is the reusable prompt (OpenAI's own Prompts live only in its
 * dashboard). Its model, instructions (with `{{variables}}` filled in), tools with their resources (file_search
 * over its vector stores, code_interpreter over its files), sampling, response format and reasoning effort are
 * the request's defaults; what the request gives itself wins. Without a prompt the request must name a model.
 */
export function applyAssistantPrompt(p: ResponseCreateParams, findAssistant: (id: string) => Assistant | null): ResolvedCreateParams {
  if (!p.prompt) {
    if (!p.model) throw badRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter");
    return { ...p, model: p.model };
  }
  const { id, version, variables } = p.prompt;
  if (!id.startsWith("asst_")) {
    throw badRequest(`Prompt '${id}' not found: this server uses an assistant (an 'asst_' id) as the prompt.`, "prompt.id", "invalid_value");
  }
  const assistant = findAssistant(id);
  if (!assistant) throw badRequest(`Prompt '${id}' not found: there is no assistant with this id.`, "prompt.id", "invalid_value");
  if (version !== undefined && version !== null) throw badRequest("An assistant used as a prompt has no versions; leave out prompt.version.", "prompt.version", "invalid_value");
  const instructions = assistant.instructions === null ? null : fillVariables(assistant.instructions, variables ?? {});
  const format = textFormatOf(assistant);
  return {
    ...p,
    model: p.model ?? assistant.model,
    instructions: p.instructions ?? instructions,
    tools: p.tools ?? assistant.tools.flatMap((t) => responsesTool(t, assistant)),
    temperature: p.temperature ?? assistant.temperature,
    top_p: p.top_p ?? assistant.top_p,
    ...(p.text?.format === undefined && format ? { text: { ...p.text, format } } : {}),
    ...(p.reasoning?.effort === undefined && assistant.reasoning_effort ? { reasoning: { ...p.reasoning, effort: assistant.reasoning_effort } } : {}),
  };
}

type Variables = NonNullable<NonNullable<ResponseCreateParams["prompt"]>["variables"]>;

/** `{{name}}` in the instructions becomes the variable's text; a placeholder with no variable given stays. */
function fillVariables(instructions: string, variables: Variables): string {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === "string") values.set(name, value);
    else if (value.type === "input_text") values.set(name, value.text);
    else throw badRequest(`Prompt variables of type '${value.type}' are not supported: an assistant's instructions take text.`, `prompt.variables.${name}`, "unsupported_value");
  }
  return instructions.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (placeholder, name: string) => values.get(name) ?? placeholder);
}

/** An assistant's tool as the Responses API names it, with the resources the assistant attached to it. */
function responsesTool(tool: AssistantTool, assistant: Assistant): ToolParam[] {
  switch (tool.type) {
    case "function": {
      const f = tool.function;
      return [{ type: "function", name: f.name, description: f.description ?? null, parameters: f.parameters ?? null, strict: f.strict ?? false }];
    }
    case "file_search": {
      const settings = tool.file_search;
      return [
        {
          type: "file_search",
          vector_store_ids: assistant.tool_resources?.file_search?.vector_store_ids ?? [],
          ...(settings?.max_num_results ? { max_num_results: settings.max_num_results } : {}),
          // Only a threshold carries over: the Assistants ranker names are not the Responses API's.
          ...(settings?.ranking_options?.score_threshold ? { ranking_options: { score_threshold: settings.ranking_options.score_threshold } } : {}),
        },
      ];
    }
    case "code_interpreter":
      return [{ type: "code_interpreter", container: { type: "auto", file_ids: assistant.tool_resources?.code_interpreter?.file_ids ?? [] } }];
  }
}

function textFormatOf(assistant: Assistant): NonNullable<ResponseCreateParams["text"]>["format"] | undefined {
  const format = assistant.response_format;
  if (typeof format !== "object" || format === null || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const schema = format.json_schema;
  return { type: "json_schema", name: schema.name, schema: schema.schema ?? {}, ...(schema.description ? { description: schema.description } : {}), strict: schema.strict ?? null };
}
