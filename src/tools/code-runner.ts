import type { Run } from "../api/wire.js";
import type { FileService } from "../files/file-service.js";
import type { CodeSandbox, SandboxFile, SandboxLimits, SandboxResult } from "../sandbox/index.js";
import type { Repos } from "../store/repos.js";
import type { CodeOutputs, RunCodeRunner } from "./code-interpreter.js";

const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|svg)$/i;

/**
 * Runs code_interpreter calls in the QuickJS sandbox. The session is the thread, so variables survive across
 * calls and across runs on the same thread (until the sandbox evicts it). Errors in the code are outputs for
 * the model to read and fix, never run failures. Files the code writes become `assistants_output` files,
 * recorded on the run so its reply can cite them (file_path annotations).
 */
export class SandboxCodeRunner implements RunCodeRunner {
  constructor(
    private readonly deps: { repos: Pick<Repos, "assistants" | "threads" | "messages" | "files" | "runs">; files: FileService; sandbox: CodeSandbox; limits?: Partial<SandboxLimits> },
  ) {}

  async run(run: Run, code: string, signal?: AbortSignal): Promise<{ outputs: CodeOutputs }> {
    const result = await this.deps.sandbox.run(code, {
      sessionKey: run.thread_id,
      files: await this.inputFiles(run),
      ...(this.deps.limits ? { limits: this.deps.limits } : {}),
      ...(signal ? { signal } : {}),
    });
    const generated: { file_id: string; name: string }[] = [];
    const outputs: CodeOutputs = [{ type: "logs", logs: logsOf(result) }];
    for (const file of result.files) {
      const stored = await this.deps.files.create(file.bytes, file.name, "assistants_output");
      generated.push({ file_id: stored.id, name: stored.filename });
      if (IMAGE_EXTENSIONS.test(file.name)) outputs.push({ type: "image", image: { file_id: stored.id } });
    }
    if (generated.length > 0) {
      const options = this.deps.repos.runs.options(run.id);
      this.deps.repos.runs.setOptions(run.id, { ...options, generated_files: [...(options.generated_files ?? []), ...generated] });
    }
    return { outputs };
  }

  /** Files of the assistant's and thread's code_interpreter resources and of code_interpreter attachments. */
  private async inputFiles(run: Run): Promise<SandboxFile[]> {
    const { repos } = this.deps;
    const ids = new Set<string>([
      ...(repos.assistants.get(run.assistant_id)?.tool_resources?.code_interpreter?.file_ids ?? []),
      ...(repos.threads.get(run.thread_id)?.tool_resources?.code_interpreter?.file_ids ?? []),
      ...repos.messages
        .all({ thread_id: run.thread_id })
        .flatMap((m) => m.attachments ?? [])
        .filter((a) => a.tools.some((t) => t.type === "code_interpreter"))
        .map((a) => a.file_id),
    ]);
    const files: SandboxFile[] = [];
    for (const id of ids) {
      const meta = repos.files.get(id);
      if (!meta) continue; // deleted since it was attached
      files.push({ name: uniqueName(meta.filename, files), bytes: new Uint8Array(await this.deps.files.content(id)) });
    }
    return files;
  }
}

/** What the model reads back: console output, then the error or the last expression's value. */
function logsOf(result: SandboxResult): string {
  const parts = [result.logs.trimEnd()];
  // Sandbox errors already name their kind ("SyntaxError: …", "timeout: …"); only bare messages get a prefix.
  if (result.error) parts.push(/^[\w ]*(Error|error|timeout|limit)\b/.test(result.error) ? result.error : `Error: ${result.error}`);
  else if (result.result !== undefined) parts.push(`=> ${result.result}`);
  if (result.files.length > 0) parts.push(`Files written: ${result.files.map((f) => f.name).join(", ")}`);
  return parts.filter((p) => p !== "").join("\n") || "(no output)";
}

/** Two attached files with the same name stay distinguishable: report.csv, report (2).csv. */
function uniqueName(name: string, taken: SandboxFile[]): string {
  if (!taken.some((f) => f.name === name)) return name;
  const dot = name.lastIndexOf(".");
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 2; ; i++) if (!taken.some((f) => f.name === `${base} (${i})${ext}`)) return `${base} (${i})${ext}`;
}
