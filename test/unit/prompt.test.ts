import { describe, expect, it } from "vitest";
import type { Message } from "../../src/api/wire.js";
import type { ChatMessage } from "../../src/llm/chat-model.js";
import { buildPrompt } from "../../src/runs/prompt.js";
import { estimate } from "../../src/llm/token-count.js";
import { mayBeTextToolCall, parseTextToolCalls } from "../../src/llm/text-tool-calls.js";

function message(role: "user" | "assistant", text: string, i: number): Message {
  return {
    id: `msg_${i}`, object: "thread.message", created_at: i, thread_id: "thread_x", status: "completed",
    incomplete_details: null, completed_at: i, incomplete_at: null, role,
    content: [{ type: "text", text: { value: text, annotations: [] } }],
    assistant_id: null, run_id: null, attachments: [], metadata: {},
  };
}

const auto = { type: "auto" as const, last_messages: null };
const history = Array.from({ length: 10 }, (_, i) => message(i % 2 === 0 ? "user" : "assistant", `turn ${i} ${"x".repeat(300)}`, i));

describe("buildPrompt", () => {
  it("puts instructions first, history in order, per-run additions last", () => {
    const r = buildPrompt({ instructions: "Be terse.", history: history.slice(0, 3), runTurns: [], additions: ["Extra."], truncation: auto }, { promptTokens: 10_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "system"]);
    expect(r.messages[0]!.content).toBe("Be terse.");
    expect(r.messages.at(-1)!.content).toBe("Extra.");
  });

  it("drops the oldest history first and never the latest user turn", () => {
    const budget = estimate([{ role: "system", content: "S" }]) + 3 * estimate([{ role: "user", content: `turn 0 ${"x".repeat(300)}` }]);
    const r = buildPrompt({ instructions: "S", history, runTurns: [], additions: [], truncation: auto }, { promptTokens: budget });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const texts = r.messages.slice(1).map((m) => m.content.split(" ").slice(0, 2).join(" "));
    expect(texts).toEqual(["turn 7", "turn 8", "turn 9"]);
  });

  it("applies last_messages before fitting", () => {
    const r = buildPrompt({ instructions: "", history, runTurns: [], additions: [], truncation: { type: "last_messages", last_messages: 2 } }, { promptTokens: 100_000 });
    expect(r.ok && r.messages.map((m) => m.content.slice(0, 6))).toEqual(["turn 8", "turn 9"]);
  });

  it("cuts the longest tool result to fit instead of failing", () => {
    const runTurns: ChatMessage[] = [
      { role: "assistant", content: "", tool_calls: [{ name: "file_search", arguments: {} }] },
      { role: "tool", tool_name: "file_search", content: "p".repeat(30_000) },
    ];
    const r = buildPrompt({ instructions: "S", history: [history[0]!], runTurns, additions: [], truncation: auto }, { promptTokens: 2_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const tool = r.messages.find((m) => m.role === "tool")!;
    expect(tool.content.length).toBeLessThan(30_000);
    expect(tool.content).toMatch(/cut to fit/);
    expect(r.estimatedTokens).toBeLessThanOrEqual(2_000);
  });

  it("sized by a model's own counter: cuts a tool result by its characters per token, and counts the template's fixed part once", () => {
    // A tokenizer of 6 characters a token, whose template adds 40 tokens to any prompt (BOS, a default system prompt).
    const count = (ms: ChatMessage[]) => 40 + ms.reduce((n, m) => n + 2 + Math.ceil(m.content.length / 6), 0);
    const runTurns: ChatMessage[] = [
      { role: "assistant", content: "", tool_calls: [{ name: "file_search", arguments: {} }] },
      { role: "tool", tool_name: "file_search", content: "p".repeat(30_000) },
    ];
    const r = buildPrompt({ instructions: "S", history: [history[0]!], runTurns, additions: [], truncation: auto }, { promptTokens: 2_000, count });
    expect(r.ok).toBe(true); // a cut at 3 characters a token would leave it 2,000 tokens over
    if (!r.ok) return;
    expect(r.estimatedTokens).toBeLessThanOrEqual(2_000);
    expect(r.estimatedTokens).toBe(count(r.messages)); // the fixed part counted once: the sum is the prompt's count
    expect(r.estimatedTokens).toBeGreaterThan(1_900); // cut to fit, not far below
    // Older turns are added at what they add (62 tokens each: 2 + 360/6), not 102 with the fixed part again.
    const turns = Array.from({ length: 12 }, (_, i) => message(i % 2 === 0 ? "user" : "assistant", "w".repeat(360), i));
    const fitted = buildPrompt({ instructions: "", history: turns, runTurns: [], additions: [], truncation: auto }, { promptTokens: 600, count });
    expect(fitted.ok && fitted.messages.length).toBe(12 - Math.ceil((40 + 12 * 62 - 600) / 62)); // 9: the oldest dropped only as needed
  });

  it("reports a prompt whose latest turn alone is over budget", () => {
    const r = buildPrompt({ instructions: "S", history: [message("user", "y".repeat(9_000), 0)], runTurns: [], additions: [], truncation: auto }, { promptTokens: 1_000 });
    expect(r.ok).toBe(false);
    expect(r.estimatedTokens).toBeGreaterThan(1_000);
  });
});

describe("tool calls written as JSON text", () => {
  const offered = [{ name: "get_weather", parameters: { type: "object" } }];
  it.each([
    ['{"name":"get_weather","arguments":{"city":"Paris"}}'],
    ['```json\n{"name":"get_weather","parameters":{"city":"Paris"}}\n```'],
    ['{"function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}'],
    ['[{"name":"get_weather","arguments":{"city":"Paris"}}]'],
  ])("recognises %s", (text) => {
    expect(parseTextToolCalls(text, offered)).toEqual([{ name: "get_weather", arguments: { city: "Paris" } }]);
  });

  it.each([['{"name":"other","arguments":{}}'], ['{"answer": 42}'], ["Paris is sunny."], ['{"name":"get_weather"'], ['{"name":"get_weather","arguments":[1]}']])(
    "leaves %s as text",
    (text) => expect(parseTextToolCalls(text, offered)).toBeNull(),
  );

  it("holds back only text that could still become a call", () => {
    expect(mayBeTextToolCall("  {")).toBe(true);
    expect(mayBeTextToolCall("``")).toBe(true);
    expect(mayBeTextToolCall("```json")).toBe(true);
    expect(mayBeTextToolCall("The")).toBe(false);
  });
});
