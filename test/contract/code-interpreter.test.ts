/**
 * code_interpreter through the official SDK with a scripted model: a calculation whose output reaches the step,
 * the model and the answer; attached files readable by name; errors in the code as outputs the model reads.
 */
import { describe, expect, it, vi } from "vitest";
import type { ChatBody } from "../fakes/ollama-fake.js";
import { callCode, ciThread, logsOf, runScripted, textAndAnnotations, toolMessages, upload } from "../helpers/code-interpreter.js";
import { stepsOf, useRunApp, waitFor, waitForRun } from "../helpers/runs.js";

/** The model's second turn: answers with what the last tool message said after "=> ". */
const answerFromTool = (body: ChatBody) => {
  const tool = body.messages.findLast((m) => m.role === "tool");
  return { text: `The result is ${/=> (.*)/.exec(tool?.content ?? "")?.[1] ?? "unknown"}.` };
};

describe("code_interpreter: a calculation", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1" });

  it("logs reach the step, the model's next request (role tool) and the final answer", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "What is the sum of the squares of 3, 4 and 5?");
    const code = "const xs = [3, 4, 5];\nconst total = xs.reduce((a, b) => a + b * b, 0);\nconsole.log('sum of squares:', total);\ntotal";
    const r = await runScripted(t, assistantId, threadId, callCode(code), answerFromTool);

    expect(r.run.status).toBe("completed");
    expect(r.run.last_error).toBeNull();
    expect(r.steps.map((s) => [s.type, s.status])).toEqual([
      ["tool_calls", "completed"],
      ["message_creation", "completed"],
    ]);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.id).toMatch(/^call_/);
    expect(r.calls[0]!.code_interpreter.input).toBe(code);
    expect(r.calls[0]!.code_interpreter.outputs).toEqual([{ type: "logs", logs: "sum of squares: 50\n=> 50" }]);

    // The model was offered the tool, then read the call and its logs back as a tool message.
    const [first, second] = t.ollama.chatRequests;
    expect(first!.tools?.map((tool) => tool.function.name)).toEqual(["code_interpreter"]);
    expect(first!.tools?.[0]?.function.parameters).toMatchObject({ properties: { code: { type: "string" } } });
    const assistantTurn = second!.messages.find((m) => m.role === "assistant" && m.tool_calls);
    expect(assistantTurn?.tool_calls).toEqual([{ function: { name: "code_interpreter", arguments: { code } } }]);
    const tools = toolMessages(second);
    expect(tools).toHaveLength(1);
    expect(tools[0]!.content).toContain("sum of squares: 50");
    expect(tools[0]!.content).toContain("=> 50");
    expect(t.ollama.chatRequests).toHaveLength(2);

    const { text, annotations } = textAndAnnotations(r.reply);
    expect(text).toBe("The result is 50.");
    expect(annotations).toEqual([]);
    expect(r.reply!.status).toBe("completed");
  });

  it("a run with several model calls reads its thread's history once, not once per call", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const reads = vi.spyOn(t.services.repos.messages, "all");
    const r = await runScripted(t, assistantId, threadId, callCode("1"), callCode("2"), { text: "done" });
    expect(r.run.status).toBe("completed");
    expect(t.ollama.chatRequests).toHaveLength(3);
    // The collect() helper lists messages through the API (pages, not all()); only the executor calls all().
    expect(reads.mock.calls.filter(([where]) => (where as { thread_id?: string }).thread_id === threadId)).toHaveLength(1);
    reads.mockRestore();
  });

  it("two calls in one turn (parallel tool calls) run in order, each with its own outputs", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(t, assistantId, threadId, callCode("console.log('a'); 1", "console.log('b'); 2"), { text: "done" });
    expect(r.run.status).toBe("completed");
    expect(r.steps).toHaveLength(2);
    expect(r.calls.map((c) => logsOf(c))).toEqual(["a\n=> 1", "b\n=> 2"]);
    expect(toolMessages(t.ollama.chatRequests[1]).map((m) => m.content)).toEqual(["a\n=> 1", "b\n=> 2"]);
  });

  it("code with no output and no value says so rather than sending the model an empty result", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(t, assistantId, threadId, callCode("let x = 1;"), { text: "ok" });
    expect(logsOf(r.calls[0])).toBe("(no output)");
    expect(toolMessages(t.ollama.chatRequests[1])[0]!.content).toBe("(no output)");
  });
});

describe("code_interpreter: files given to the code", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1" });

  it("reads the assistant's, the thread's and a message attachment's files by name (and nothing else)", async () => {
    const t = app();
    const sales = await upload(t, "sales.csv", "region,amount\nnorth,3\nsouth,4\n");
    const regions = await upload(t, "regions.csv", "region,manager\nnorth,Ada\nsouth,Bo\n");
    const extra = await upload(t, "extra.csv", "region,amount\nwest,10\n");
    await upload(t, "unrelated.csv", "secret,1\n"); // uploaded but never attached
    const { assistantId, threadId } = await ciThread(t, "Total the sales", { tool_resources: { code_interpreter: { file_ids: [sales] } } }, {
      tool_resources: { code_interpreter: { file_ids: [regions] } },
    });
    await t.client.beta.threads.messages.create(threadId, {
      role: "user",
      content: "and this one",
      attachments: [{ file_id: extra, tools: [{ type: "code_interpreter" }] }],
    });
    const code = [
      "const rows = (n) => files.readText(n).trim().split('\\n').slice(1).map((l) => l.split(','));",
      "const total = [...rows('sales.csv'), ...rows('extra.csv')].reduce((s, r) => s + Number(r[1]), 0);",
      "console.log(files.list().join(' '));",
      "console.log('manager of north:', rows('regions.csv').find((r) => r[0] === 'north')[1]);",
      "total",
    ].join("\n");
    const r = await runScripted(t, assistantId, threadId, callCode(code), answerFromTool);
    expect(r.run.status).toBe("completed");
    expect(logsOf(r.calls[0])).toBe("extra.csv regions.csv sales.csv\nmanager of north: Ada\n=> 17");
    expect(textAndAnnotations(r.reply).text).toBe("The result is 17.");
  });

  it("files.readBytes gives the exact bytes; two attachments with one name stay apart", async () => {
    const t = app();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const blob = await upload(t, "blob.bin", bytes);
    const one = await upload(t, "data.csv", "x\n1\n");
    const two = await upload(t, "data.csv", "x\n2\n");
    const { assistantId, threadId } = await ciThread(t, "look", {}, {
      messages: [
        {
          role: "user",
          content: "files attached",
          attachments: [blob, one, two].map((file_id) => ({ file_id, tools: [{ type: "code_interpreter" }] })),
        },
      ],
    });
    const code = "const b = files.readBytes('blob.bin'); console.log(b.length, b[0], b[255]); [files.readText('data.csv'), files.readText('data (2).csv')].map((s) => s.trim().split('\\n')[1]).join('+')";
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "ok" });
    expect(logsOf(r.calls[0])).toBe("256 0 255\n=> 1+2");
  });

  it("a missing file is an error the model reads, naming the files that exist", async () => {
    const t = app();
    const sales = await upload(t, "sales.csv", "a\n");
    const { assistantId, threadId } = await ciThread(t, "read it", { tool_resources: { code_interpreter: { file_ids: [sales] } } });
    const r = await runScripted(t, assistantId, threadId, callCode("files.readText('/mnt/data/sales.csv')"), { text: "sorry" });
    expect(r.run.status).toBe("completed");
    expect(logsOf(r.calls[0])).toMatch(/^Error: file not found: "\/mnt\/data\/sales.csv" \(available files: "sales.csv"\)/);
  });
});

describe("code_interpreter: errors in the code are outputs, not run failures", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1", SANDBOX_TIME_MS: "300" });

  it.each([
    ["a syntax error", "const x = ;", /^SyntaxError: unexpected token in expression/],
    ["a thrown error (after some output)", "console.log('before'); throw new RangeError('boom 42')", /^before\nRangeError: boom 42\n\s+at /],
    ["a thrown non-error", "throw { code: 7 }", /^Error: Uncaught \{code: 7\}$/],
    ["an infinite loop (SANDBOX_TIME_MS=300)", "let i = 0; while (true) { i++ }", /^timeout: execution exceeded 300 ms/],
    ["a promise that never settles", "new Promise(() => {})", /^Error: the promise returned by the code never settled/],
    ["a rejected promise", "(async () => { throw new TypeError('async nope') })()", /^TypeError: async nope/],
  ])("%s", async (_name, code, expected) => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const started = Date.now();
    const r = await runScripted(t, assistantId, threadId, callCode(code), { text: "I will fix the code." });
    expect(r.run.status).toBe("completed");
    expect(r.run.last_error).toBeNull();
    expect(r.steps.every((s) => s.status === "completed" && s.last_error === null)).toBe(true);
    const logs = logsOf(r.calls[0]);
    expect(logs).toMatch(expected);
    expect(toolMessages(t.ollama.chatRequests[1])[0]!.content).toBe(logs);
    expect(textAndAnnotations(r.reply).text).toBe("I will fix the code.");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("the model can fix its code in the same run, and variables set before a timeout survive it", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(
      t,
      assistantId,
      threadId,
      callCode("var kept = 'still here'; while (true) {}"),
      callCode("kept.toUpperCase("),
      callCode("kept.toUpperCase()"),
      answerFromTool,
    );
    expect(r.run.status).toBe("completed");
    expect(r.calls.map((c) => logsOf(c).split("\n")[0])).toEqual([
      "timeout: execution exceeded 300 ms (stopped; look for infinite loops or process less data per call)",
      expect.stringMatching(/^SyntaxError/),
      "=> STILL HERE",
    ]);
    expect(toolMessages(t.ollama.chatRequests[3])).toHaveLength(3);
    expect(textAndAnnotations(r.reply).text).toBe("The result is STILL HERE.");
  });
});

describe("code_interpreter: cancelling the run", () => {
  const app = useRunApp({ SANDBOX_WORKERS: "1", SANDBOX_TIME_MS: "20000" });

  it("stops the code it is running: the run is cancelled long before the 20 s time limit", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    t.ollama.script(callCode("let spins = 0; while (true) { spins++ }"));
    const run = await t.client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
    await waitFor(async () => (await stepsOf(t.client, threadId, run.id)).some((s) => s.type === "tool_calls"), 5000, "the tool call step");
    const started = Date.now();
    await t.client.beta.threads.runs.cancel(run.id, { thread_id: threadId });
    const ended = await waitForRun(t.client, threadId, run.id, (r) => r.status === "cancelled", 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ended.last_error).toBeNull();
    const steps = await stepsOf(t.client, threadId, run.id);
    expect(steps.map((s) => s.status)).toEqual(["cancelled"]);
    expect(t.ollama.chatRequests).toHaveLength(1); // the model was not asked again

    // The thread's sandbox session is fine afterwards.
    const r = await runScripted(t, assistantId, threadId, callCode("6 * 7"), { text: "42" });
    expect(logsOf(r.calls[0])).toBe("=> 42");
  });
});
