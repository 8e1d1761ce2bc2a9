/**
 * code_interpreter sessions: the session is the thread. Variables, functions, classes and written files survive
 * between calls of a run and across runs on the same thread, and never reach another thread.
 */
import { describe, expect, it } from "vitest";
import type { ChatBody, ChatScript } from "../fakes/ollama-fake.js";
import { callCode, ciThread, collect, logsOf, runScripted, textAndAnnotations, toolMessages } from "../helpers/code-interpreter.js";
import { useRunApp, waitForRun } from "../helpers/runs.js";

describe("code_interpreter: state", () => {
  // One worker: every session lives in the same QuickJS worker, the hardest case for isolation.
  const app = useRunApp({ SANDBOX_WORKERS: "1", RUN_CONCURRENCY: "4" });

  it("is kept between two calls of one run: const/let, functions and classes", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t);
    const r = await runScripted(
      t,
      assistantId,
      threadId,
      callCode("const rate = 1.5;\nlet count = 1;\nfunction scale(x) { return x * rate }\nclass Box { constructor(v) { this.v = v } }"),
      callCode("count++;\n[scale(10), count, new Box(3).v]"),
      { text: "ok" },
    );
    expect(r.run.status).toBe("completed");
    expect(r.calls.map((c) => logsOf(c))).toEqual(["(no output)", "=> [15,2,3]"]);
    // Re-running code that declares the same names is fine (the model often repeats its setup).
    t.ollama.script(callCode("const rate = 2; rate"), { text: "again" });
    await t.client.beta.threads.messages.create(threadId, { role: "user", content: "again" });
    const again = await runScripted(t, assistantId, threadId);
    expect(logsOf(again.calls[0])).toBe("=> 2");
  });

  it("is kept across two runs on the same thread, even with another assistant; written files too", async () => {
    const t = app();
    const { assistantId, threadId } = await ciThread(t, "remember 41");
    const first = await runScripted(t, assistantId, threadId, callCode("var memo = { answer: 41 }; files.writeText('memo.txt', 'kept'); 'stored'"), { text: "Stored." });
    expect(logsOf(first.calls[0])).toBe("=> stored\nFiles written: memo.txt");

    await t.client.beta.threads.messages.create(threadId, { role: "user", content: "now add one" });
    const other = await t.assistant({ tools: [{ type: "code_interpreter" }], instructions: "Another assistant." });
    const second = await runScripted(t, other.id, threadId, callCode("`${memo.answer + 1} ${files.readText('memo.txt')} ${files.list()}`"), { text: "42." });
    expect(second.run.status).toBe("completed");
    expect(second.run.id).not.toBe(first.run.id);
    expect(logsOf(second.calls[0])).toBe("=> 42 kept memo.txt");
    // The second run's model request carries only its own tool exchange (the first run's reply is history).
    const last = t.ollama.chatRequests.at(-1)!;
    expect(toolMessages(last).map((m) => m.content)).toEqual(["=> 42 kept memo.txt"]);
    expect(last.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "tool"]);
  });

  it("is not shared between threads: variables, prototype changes and files stay in their thread", async () => {
    const t = app();
    const a = await ciThread(t, "thread A");
    const setup = "var secret = 's3cr3t'; Object.prototype.leak = 'A'; Array.prototype.push = null; files.writeText('a-only.txt', 'x'); 'set'";
    const ra = await runScripted(t, a.assistantId, a.threadId, callCode(setup), { text: "set" });
    expect(logsOf(ra.calls[0])).toBe("=> set\nFiles written: a-only.txt");

    const b = await ciThread(t, "thread B");
    const probe = "const xs = []; xs.push(1); [typeof secret, String(({}).leak), files.list(), xs]";
    const rb = await runScripted(t, b.assistantId, b.threadId, callCode(probe), { text: "clean" });
    expect(logsOf(rb.calls[0])).toBe('=> ["undefined","undefined",[],[1]]');
    // And the host never saw the guest's prototype change.
    expect(({} as Record<string, unknown>).leak).toBeUndefined();

    // Thread A still has its own state.
    await t.client.beta.threads.messages.create(a.threadId, { role: "user", content: "again" });
    const again = await runScripted(t, a.assistantId, a.threadId, callCode("[secret, ({}).leak, files.list()]"), { text: "still" });
    expect(logsOf(again.calls[0])).toBe('=> ["s3cr3t","A",["a-only.txt"]]');
  });

  it("runs on two threads at once each see only their own variable of the same name", async () => {
    const t = app();
    // Model calls of the two runs interleave in any order: each reply is computed from the request itself.
    const byThread: ChatScript = (body: ChatBody) => {
      const who = body.messages.findLast((m) => m.role === "user")!.content;
      const results = toolMessages(body).length;
      if (results === 0) return callCode(`var who = ${JSON.stringify(who)}; var n = 0`);
      if (results < 4) return callCode("n++; who + ' ' + n");
      return { text: `done ${who}` };
    };
    t.ollama.script(...Array.from({ length: 10 }, () => byThread));
    const threads = await Promise.all(["A", "B"].map((who) => ciThread(t, who)));
    const runs = await Promise.all(threads.map((th) => t.client.beta.threads.runs.create(th.threadId, { assistant_id: th.assistantId })));
    const results = await Promise.all(
      runs.map(async (run, i) => collect(t, threads[i]!.threadId, await waitForRun(t.client, threads[i]!.threadId, run.id, undefined, 15_000))),
    );
    for (const [i, who] of ["A", "B"].entries()) {
      const r = results[i]!;
      expect(r.run.status).toBe("completed");
      expect(r.calls.map((c) => logsOf(c))).toEqual(["(no output)", `=> ${who} 1`, `=> ${who} 2`, `=> ${who} 3`]);
      expect(textAndAnnotations(r.reply).text).toBe(`done ${who}`);
    }
  });
});
