import { describe, expect, it } from "vitest";
import { makeTestApp } from "../helpers/test-app.js";

/**
 * Runs only against a real Ollama: `OLLAMA_HOST=http://127.0.0.1:11434 npx vitest run test/integration`.
 * Uses CHAT_MODEL (default: the manifest's default chat model), which must be pulled.
 */
describe.skipIf(!process.env.OLLAMA_HOST)("with a real Ollama", () => {
  it("answers a run and a second turn that needs the first", { timeout: 300_000 }, async () => {
    const t = await makeTestApp({ OLLAMA_HOST: process.env.OLLAMA_HOST, CHAT_MODEL: process.env.CHAT_MODEL, EMBEDDING_MODEL: "" });
    try {
      const assistant = await t.client.beta.assistants.create({ model: "gpt-4o", instructions: "Answer in one short sentence." });
      const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content: "My name is Ada. Say hello to me." }] });
      const first = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      expect(first.status, JSON.stringify(first.last_error)).toBe("completed");
      expect(first.usage!.completion_tokens).toBeGreaterThan(0);
      await t.client.beta.threads.messages.create(thread.id, { role: "user", content: "What is my name?" });
      const second = await t.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      expect(second.status).toBe("completed");
      const [reply] = (await t.client.beta.threads.messages.list(thread.id, { run_id: second.id })).data;
      expect(reply!.content[0]!.type === "text" && reply!.content[0]!.text.value).toMatch(/Ada/i);
    } finally {
      await t.close();
    }
  });
});
