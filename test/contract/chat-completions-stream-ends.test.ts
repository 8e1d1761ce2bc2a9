/**
 * Chat completions where a stream ends other than well, and the SDK's runTools() loop: a model failure in the
 * middle of a stream reaches the SDK as an APIError after the text so far (and the server goes on serving), a
 * client that hangs up stops the model call (nobody else waits for a chat answer), and runTools() calls the
 * app's functions and sends their results back until the model answers.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import OpenAI, { APIError } from "openai";
import { listen } from "../helpers/test-app.js";
import { sleep, useRunApp, waitFor, WEATHER_TOOL } from "../helpers/runs.js";

describe("chat completion streams and runTools()", () => {
  const app = useRunApp();
  let server: Awaited<ReturnType<typeof listen>>;
  let client: OpenAI;

  beforeEach(async () => {
    server = await listen(app().app);
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("a model failure mid-stream is an APIError after the text so far; the next request is served", async () => {
    const t = app();
    t.ollama.script({ chunks: ["Half", " an"], errorLine: "llama runner process has terminated" });
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream: true });
    const text: string[] = [];
    let failure: unknown;
    try {
      for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? "");
    } catch (err) {
      failure = err;
    }
    expect(text.join("")).toBe("Half an");
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).message).toContain("llama runner process has terminated");
    expect((failure as APIError).type).toBe("server_error");

    t.ollama.script({ text: "Fine again." });
    const next = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(next.choices[0]!.message.content).toBe("Fine again.");
  });

  it("a client that hangs up stops the model call", async () => {
    const t = app();
    const chunks = Array.from({ length: 200 }, (_, i) => ` w${i}`);
    t.ollama.script({ chunks, delayMs: 10 });
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "talk" }], stream: true });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (seen === 3) break; // leaving the loop aborts the request, as an app closing its stream does
    }
    const atHangUp = t.ollama.chunksSent;
    await sleep(300); // 30 more chunks' time had the model call gone on
    expect(t.ollama.chunksSent - atHangUp).toBeLessThan(5);
    expect(t.ollama.chunksSent).toBeLessThan(chunks.length);
  });

  it("runTools() calls the app's function, sends its result back and ends with the model's answer", async () => {
    const t = app();
    t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "It is 3 C in Oslo." });
    const asked: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [{
        type: "function",
        function: {
          name: WEATHER_TOOL.function.name,
          description: WEATHER_TOOL.function.description,
          parameters: WEATHER_TOOL.function.parameters,
          parse: JSON.parse,
          function: (args: { city: string }) => {
            asked.push(args);
            return { city: args.city, celsius: 3 };
          },
        },
      }],
    });
    expect(await runner.finalContent()).toBe("It is 3 C in Oslo.");
    expect(asked).toEqual([{ city: "Oslo" }]);
    await waitFor(() => t.ollama.chatRequests.length === 2);
    expect(t.ollama.chatRequests[1]!.messages.at(-1)).toEqual({ role: "tool", tool_name: "get_weather", content: '{"city":"Oslo","celsius":3}' });
  });
});
