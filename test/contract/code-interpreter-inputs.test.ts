/**
 * Size caps on the files given to code_interpreter (#14), through the SDK with a scripted model: a file over
 * SANDBOX_MAX_FILE_BYTES, or beyond SANDBOX_MAX_INPUT_BYTES for the call, is not loaded; the code reading it gets
 * an error naming the file and the cap, the output says which file was skipped, the run completes, the other
 * files read, and another thread's session is untouched. (The hundreds-of-MB case: test/reliability/sandbox-inputs.)
 */
import { describe, expect, it } from "vitest";
import { callCode, ciThread, logsOf, runScripted, toolMessages, upload } from "../helpers/code-interpreter.js";
import { useRunApp } from "../helpers/runs.js";

const CSV = "region,amount\nnorth,3\nsouth,4\n";

describe("code_interpreter: input size caps", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1", SANDBOX_MAX_FILE_BYTES: "1000", SANDBOX_MAX_INPUT_BYTES: "1500" });

  it("a file over the per-file cap is skipped with a clear error; the normal file reads; another thread is unaffected", async () => {
    const t = app();
    const other = await ciThread(t, "remember");
    const kept = await runScripted(t, other.assistantId, other.threadId, callCode("const kept = 41; 1 + 1"), { text: "ok" });
    expect(logsOf(kept.calls[0])).toBe("=> 2");

    const small = await upload(t, "sales.csv", CSV);
    const big = await upload(t, "big.bin", new Uint8Array(2000).fill(7));
    const { assistantId, threadId } = await ciThread(t, "read both", { tool_resources: { code_interpreter: { file_ids: [small, big] } } });
    const code = [
      "console.log(files.list().join(' '));",
      "console.log(files.readText('sales.csv').trim().split('\\n').slice(1).reduce((s, l) => s + Number(l.split(',')[1]), 0));",
      "files.readBytes('big.bin').length",
    ].join("\n");
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "sorry" });
    expect(r.run.status).toBe("completed");
    expect(r.run.last_error).toBeNull();
    const logs = logsOf(r.calls[0]);
    const lines = logs.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      '[sandbox] note: file "big.bin" was not loaded: it is 2000 bytes, over the limit of 1000 bytes per file (SANDBOX_MAX_FILE_BYTES)',
      "sales.csv",
      "7",
      'Error: file "big.bin" was not loaded into the sandbox: it is 2000 bytes, over the limit of 1000 bytes per file (SANDBOX_MAX_FILE_BYTES)',
    ]);
    // The model is told the same.
    expect(toolMessages(t.ollama.chatRequests.at(-1))[0]!.content).toBe(logs);

    // `1 + 1` on the other thread: its session (and its variable) is still there, no reset notice.
    const after = await runScripted(t, other.assistantId, other.threadId, callCode("kept + 1 + (1 + 1)"), { text: "ok" });
    expect(logsOf(after.calls[0])).toBe("=> 44");
  });

  it("files beyond the per-call total are skipped, those within it read", async () => {
    const t = app();
    const first = await upload(t, "first.txt", "a".repeat(800));
    const second = await upload(t, "second.txt", "b".repeat(800));
    const third = await upload(t, "third.txt", "c".repeat(600));
    const { assistantId, threadId } = await ciThread(t, "read all", {}, { tool_resources: { code_interpreter: { file_ids: [first, second, third] } } });
    const code = "console.log(files.list().join(' ')); console.log(files.readText('first.txt').length, files.readText('third.txt').length); files.readText('second.txt')";
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "ok" });
    expect(r.run.status).toBe("completed");
    expect(logsOf(r.calls[0]).split("\n").slice(0, 4)).toEqual([
      '[sandbox] note: file "second.txt" was not loaded: the files attached to this call would total 1600 bytes, over the limit of 1500 bytes (SANDBOX_MAX_INPUT_BYTES)',
      "first.txt third.txt",
      "800 600",
      'Error: file "second.txt" was not loaded into the sandbox: the files attached to this call would total 1600 bytes, over the limit of 1500 bytes (SANDBOX_MAX_INPUT_BYTES)',
    ]);
  });

  it("an attached file read on every call of a thread reads the same each time", async () => {
    const t = app();
    const small = await upload(t, "sales.csv", CSV);
    const { assistantId, threadId } = await ciThread(t, "again", { tool_resources: { code_interpreter: { file_ids: [small] } } });
    const read = "files.readText('sales.csv').length";
    const r = await runScripted(t, assistantId, threadId, callCode(read), callCode(`files.writeText('sales.csv', 'x'); ${read}`), callCode(read), { text: "ok" });
    expect(r.calls.map((c) => logsOf(c))).toEqual([`=> ${CSV.length}`, "=> 1\nFiles written: sales.csv", `=> ${CSV.length}`]);
  });
});
