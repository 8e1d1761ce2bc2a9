/**
 * code_interpreter with huge attachments (#14): three 500 MB files attached to a thread once made `1 + 1` time
 * out (their transfer into the worker counted toward the 5 s hard stop) and the hard stop reset the other
 * threads' sessions in that worker. Now, with the default caps, they are skipped (the output says so) and `1 + 1`
 * answers; with caps raised so that hundreds of MB are given to the sandbox and a 100 ms time limit, `1 + 1`
 * still answers (the hard stop is timed from when the inputs arrived); another thread's variable survives both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { toFile } from "openai";
import { callCode, ciThread, logsOf, runScripted, runScriptedWithin } from "../helpers/code-interpreter.js";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { byProfile } from "./support/figures.js";

const MB = 1024 * 1024;

async function uploadZeros(t: RunTestApp, name: string, bytes: number): Promise<string> {
  const file = await t.client.files.create({ file: await toFile(Buffer.alloc(bytes), name), purpose: "assistants" });
  expect(file.bytes).toBe(bytes);
  return file.id;
}

describe("code_interpreter: huge attachments", () => {
  let t: RunTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** Sets a variable on a second thread, runs `1 + 1` on a thread with `sizes` attached, then reads the variable. */
  async function scenario(env: Record<string, string>, sizes: number[]): Promise<string> {
    t = await makeRunApp({ SANDBOX_WORKERS: "1", ...env });
    const other = await ciThread(t, "remember");
    expect(logsOf((await runScripted(t, other.assistantId, other.threadId, callCode("const kept = 41; kept"), { text: "ok" })).calls[0])).toBe("=> 41");
    const ids: string[] = [];
    for (const [i, size] of sizes.entries()) ids.push(await uploadZeros(t, `big-${i}.bin`, size));
    const { assistantId, threadId } = await ciThread(t, "add", {}, { tool_resources: { code_interpreter: { file_ids: ids } } });
    // Reading and handing over 750 MB twice takes 15-30 s on 2 busy cores; what matters is that it ends well.
    const r = await runScriptedWithin(120_000, t, assistantId, threadId, callCode("1 + 1"), callCode("files.list().length"), { text: "2" });
    expect(r.run.status).toBe("completed");
    const logs = logsOf(r.calls[0]);
    expect(logs.split("\n").at(-1)).toBe("=> 2");
    const after = await runScripted(t, other.assistantId, other.threadId, callCode("kept + 1"), { text: "ok" });
    expect(logsOf(after.calls[0])).toBe("=> 42"); // no "[sandbox] note: this session was reset"
    return [logs, logsOf(r.calls[1])].join("\n---\n");
  }

  it("three 500 MB attachments with the default caps: skipped, named in the output; 1 + 1 answers", { timeout: 300_000 }, async () => {
    const size = byProfile(500, 100) * MB;
    const logs = await scenario({}, [size, size, size]);
    expect(logs.split("\n").filter((l) => l.startsWith("[sandbox] note: file"))).toEqual(
      [0, 1, 2, 0, 1, 2].map((i) => `[sandbox] note: file "big-${i}.bin" was not loaded: it is ${size} bytes, over the limit of ${16 * MB} bytes per file (SANDBOX_MAX_FILE_BYTES)`),
    );
    expect(logs.split("\n").at(-1)).toBe("=> 0");
  });

  it("hundreds of MB allowed in and a 100 ms time limit: the transfer does not count, 1 + 1 answers, twice", { timeout: 300_000 }, async () => {
    const size = byProfile(250, 100) * MB;
    const logs = await scenario(
      { SANDBOX_TIME_MS: "100", SANDBOX_MAX_FILE_BYTES: String(size), SANDBOX_MAX_INPUT_BYTES: String(3 * size) },
      [size, size, size],
    );
    expect(logs).not.toMatch(/not loaded|timeout/);
    expect(logs.split("\n").at(-1)).toBe("=> 3");
  });
});
