import type { Message, Run } from "../api/wire.js";
import type { Repos } from "../store/repos.js";
import type { ToolScope } from "../tools/builtin-tool.js";

/**
 * What a run's built-in calls work on: the assistant's and the thread's vector stores, the thread as the
 * sandbox session (variables survive across its runs), and the code_interpreter files of the assistant, the
 * thread and the thread's attachments. Files the code writes are recorded on the run (run_options), so its
 * reply can cite them with file_path annotations. `history` is the thread's messages as the run read them once
 * (runs/request-plan.ts): no message can change while the run is active.
 */
export function runToolScope(run: Run, history: readonly Message[], repos: Pick<Repos, "assistants" | "threads" | "runs">): ToolScope {
  const assistant = repos.assistants.get(run.assistant_id);
  const thread = repos.threads.get(run.thread_id);
  const attached = history
    .flatMap((m) => m.attachments ?? [])
    .filter((a) => a.tools.some((t) => t.type === "code_interpreter"))
    .map((a) => a.file_id);
  return {
    tools: run.tools,
    vectorStoreIds: [...(assistant?.tool_resources?.file_search?.vector_store_ids ?? []), ...(thread?.tool_resources?.file_search?.vector_store_ids ?? [])],
    sessionKey: run.thread_id,
    codeFileIds: [...new Set([...(assistant?.tool_resources?.code_interpreter?.file_ids ?? []), ...(thread?.tool_resources?.code_interpreter?.file_ids ?? []), ...attached])],
    filesWritten: (files) => {
      const options = repos.runs.options(run.id);
      repos.runs.setOptions(run.id, { ...options, generated_files: [...(options.generated_files ?? []), ...files] });
    },
  };
}
