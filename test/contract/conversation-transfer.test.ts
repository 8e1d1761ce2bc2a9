/**
 * `npm run export` / `npm run import` (src/cli/conversation-transfer.ts): a thread's items (messages and tool
 * calls) out as JSON lines over a real socket, and into a new conversation, which a response then continues
 * with the same history. The CLI itself runs once as a child process.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { exportConversation, importConversation } from "../../src/cli/conversation-transfer.js";
import { useRunApp, waitForRun, WEATHER_TOOL } from "../helpers/runs.js";
import { REPO_ROOT } from "../helpers/server-process.js";
import { listen } from "../helpers/test-app.js";

const run = promisify(execFile);

describe("conversations out and in as JSON lines", () => {
  const app = useRunApp();

  it("exports a thread's items and imports them as a conversation a response continues", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", tools: [WEATHER_TOOL] });
      const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "Weather in Oslo?" }] });
      t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "3 degrees." });
      const r = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
      const waiting = await waitForRun(t.client, thread.id, r.id);
      await t.client.beta.threads.runs.submitToolOutputs(r.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: "3 C" }] });
      await waitForRun(t.client, thread.id, r.id);

      const lines: string[] = [];
      expect(await exportConversation({ baseURL: server.baseURL }, thread.id, (l) => lines.push(l))).toBe(4);
      const id = await importConversation({ baseURL: server.baseURL }, lines);
      expect(id).toMatch(/^conv_/);
      const imported = await t.client.conversations.items.list(id, { order: "asc" });
      expect(imported.data.map((i) => JSON.stringify(i))).toEqual(lines);

      t.ollama.script({ text: "Still cold." });
      await t.client.responses.create({ model: "gpt-4o", conversation: id, input: "And now?" });
      expect(t.ollama.chatRequests.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user"]);

      // The command line, as a user runs it.
      const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/conversation-transfer.ts", "export", id], { cwd: REPO_ROOT, env: { ...process.env, BASE_URL: server.baseURL } });
      expect(stdout.trim().split("\n").length).toBe(6); // the four imported items, the question and the reply
    } finally {
      await server.close();
    }
  });

  it("a missing conversation or a line that is not JSON fails saying so", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      await expect(exportConversation({ baseURL: server.baseURL }, "conv_missing", () => undefined)).rejects.toThrow(/404/);
      await expect(importConversation({ baseURL: server.baseURL }, ['{"type":"message","role":"user","content":"hi"}', "{oops"])).rejects.toThrow(/line 2 is not JSON/);
    } finally {
      await server.close();
    }
  });
});
