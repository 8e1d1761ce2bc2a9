import type { FileService } from "../files/file-service.js";
import type { CodeSandbox, SandboxFile, SandboxLimits, SandboxResult, SkippedFile } from "../sandbox/index.js";
import type { Repos } from "../store/repos.js";
import type { ToolScope } from "./builtin-tool.js";
import type { CodeOutputs, ScopeCodeRunner } from "./code-interpreter.js";
import type { MetricsSink } from "../metrics.js";

const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|svg)$/i;

/**
 * Runs code_interpreter calls in the QuickJS sandbox, in the scope's session (a run's thread, so variables
 * survive across calls and runs on it until the sandbox evicts it). Errors in the code are outputs for the
 * model to read and fix, never failures. Files the code writes become `assistants_output` files, handed to
 * the scope's `filesWritten` so the reply can cite them (file_path annotations). Attached files over `maxFileBytes`,
 * or beyond `maxInputBytes` for the call in all, are not loaded: the code gets an error naming the cap when it
 * reads one, and the output says which were skipped; the others work.
 */
export class SandboxCodeRunner implements ScopeCodeRunner {
  constructor(
    private readonly deps: {
      repos: Pick<Repos, "files">;
      files: FileService;
      sandbox: CodeSandbox;
      limits?: Partial<SandboxLimits>;
      /** Largest file given to the sandbox (default 16 MiB). */
      maxFileBytes?: number;
      /** Most bytes of files given to one call (default 64 MiB). */
      maxInputBytes?: number;
      metrics?: Pick<MetricsSink, "sandboxCalls">;
    },
  ) {}

  async run(scope: ToolScope, code: string, signal?: AbortSignal): Promise<{ outputs: CodeOutputs }> {
    const { files, skipped } = await this.inputFiles(scope.codeFileIds);
    const result = await this.deps.sandbox.run(code, {
      sessionKey: scope.sessionKey,
      files,
      ...(skipped.length > 0 ? { skipped } : {}),
      ...(this.deps.limits ? { limits: this.deps.limits } : {}),
      ...(signal ? { signal } : {}),
    });
    this.deps.metrics?.sandboxCalls.inc({ outcome: result.error ? "error" : "ok" });
    const generated: { file_id: string; name: string }[] = [];
    const outputs: CodeOutputs = [{ type: "logs", logs: notesOf(skipped) + logsOf(result) }];
    for (const file of result.files) {
      const stored = await this.deps.files.create(file.bytes, file.name, "assistants_output");
      generated.push({ file_id: stored.id, name: stored.filename });
      if (IMAGE_EXTENSIONS.test(file.name)) outputs.push({ type: "image", image: { file_id: stored.id } });
    }
    if (generated.length > 0) scope.filesWritten?.(generated);
    return { outputs };
  }

  /** The scope's files, loaded within the per-file and per-call caps. */
  private async inputFiles(fileIds: readonly string[]): Promise<{ files: SandboxFile[]; skipped: SkippedFile[] }> {
    const { repos } = this.deps;
    const ids = new Set(fileIds);
    const maxFile = this.deps.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const maxInput = this.deps.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    const files: SandboxFile[] = [];
    const skipped: SkippedFile[] = [];
    const taken: string[] = [];
    let total = 0;
    for (const id of ids) {
      const meta = repos.files.get(id);
      if (!meta) continue; // deleted since it was attached
      const name = uniqueName(meta.filename, taken);
      taken.push(name);
      // Sizes come from the file row, so a skipped file is never read from disk.
      if (meta.bytes > maxFile) {
        skipped.push({ name, reason: `it is ${meta.bytes} bytes, over the limit of ${maxFile} bytes per file (SANDBOX_MAX_FILE_BYTES)` });
      } else if (total + meta.bytes > maxInput) {
        skipped.push({ name, reason: `the files attached to this call would total ${total + meta.bytes} bytes, over the limit of ${maxInput} bytes (SANDBOX_MAX_INPUT_BYTES)` });
      } else {
        total += meta.bytes;
        files.push({ name, key: id, bytes: new Uint8Array(await this.deps.files.content(id)) });
      }
    }
    return { files, skipped };
  }
}

const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** One line per attached file that was left out, before the code's own output. */
function notesOf(skipped: SkippedFile[]): string {
  return skipped.map((f) => `[sandbox] note: file ${JSON.stringify(f.name)} was not loaded: ${f.reason}\n`).join("");
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
function uniqueName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  const dot = name.lastIndexOf(".");
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 2; ; i++) if (!taken.includes(`${base} (${i})${ext}`)) return `${base} (${i})${ext}`;
}
