import type { MessageCreateInput, ResponseFormatInput, ToolInput, ToolResourcesInput } from "../api/common.js";
import type { ToolChoiceInput } from "../api/runs.js";
import type { AssistantTool, MessageContentPart, ResponseFormat, ToolChoice } from "../api/wire.js";

/** Turns request tools into the stored form the hosted API echoed back (defaults filled, v1 names mapped). */
export function normalizeTools(tools: ToolInput[]): AssistantTool[] {
  return tools.map((tool): AssistantTool => {
    switch (tool.type) {
      case "code_interpreter":
        return { type: "code_interpreter" };
      case "retrieval": // v1 name of file_search
      case "file_search": {
        const options = tool.type === "file_search" ? tool.file_search : undefined;
        return {
          type: "file_search",
          file_search: {
            ...(options?.max_num_results !== undefined ? { max_num_results: options.max_num_results } : {}),
            ranking_options: {
              ranker: options?.ranking_options?.ranker ?? "default_2024_08_21",
              score_threshold: options?.ranking_options?.score_threshold ?? 0,
            },
          },
        };
      }
      case "function":
        return {
          type: "function",
          function: {
            name: tool.function.name,
            ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
            parameters: tool.function.parameters ?? { type: "object", properties: {} },
            strict: tool.function.strict ?? false,
          },
        };
    }
  });
}

/** v1 named file_search `retrieval` in tool_choice too. */
export function normalizeToolChoice(choice: ToolChoiceInput | null | undefined): ToolChoice {
  if (choice === null || choice === undefined) return "auto";
  return typeof choice === "object" && choice.type === "retrieval" ? { type: "file_search" } : (choice as ToolChoice);
}

export function normalizeResponseFormat(format: ResponseFormatInput | null | undefined): ResponseFormat {
  return format ?? "auto";
}

/** A string becomes one text part; request text parts gain the stored `{value, annotations}` shape. */
export function normalizeContent(content: MessageCreateInput["content"]): MessageContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: { value: content, annotations: [] } }];
  return content.map((part): MessageContentPart => {
    if (part.type === "text") return { type: "text", text: { value: part.text, annotations: [] } };
    return part;
  });
}

/** Metadata key of the vector store made for an assistant's v1 `file_ids`; its value is the assistant id. */
export const V1_FILE_IDS_STORE = "v1_file_ids_of";

/**
 * v1 assistants took `file_ids` for retrieval and code_interpreter. They become v2 tool_resources: a managed
 * vector store for file_search (the default when no tool says otherwise), marked with the assistant's id
 * (so a later modify updates it instead of leaving it behind), and code_interpreter's file list.
 */
export function v1FileIdsToToolResources(
  fileIds: string[] | undefined,
  tools: AssistantTool[],
  given: ToolResourcesInput | null | undefined,
  assistantId: string,
): ToolResourcesInput | null | undefined {
  if (fileIds === undefined) return given;
  const out: ToolResourcesInput = { ...given };
  const codeInterpreter = tools.some((t) => t.type === "code_interpreter");
  const fileSearch = tools.some((t) => t.type === "file_search");
  if (codeInterpreter) out.code_interpreter = { file_ids: fileIds };
  if ((fileSearch || !codeInterpreter) && fileIds.length > 0) {
    out.file_search = { vector_stores: [{ file_ids: fileIds, metadata: { [V1_FILE_IDS_STORE]: assistantId } }] };
  }
  return out;
}
