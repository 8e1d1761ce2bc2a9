import type { Message, RunStep, TruncationStrategy } from "../api/wire.js";
import type { ChatMessage, TokenCount } from "../llm/chat-model.js";
import { estimate } from "../llm/token-count.js";
import type { Toolbox } from "../tools/toolbox.js";
import { imageKey, imageName } from "./images.js";

/**
 * Builds the chat messages for one model call. Order keeps the prefix byte-stable across turns of a thread
 * (Ollama reuses its KV cache for a shared prefix): system instructions first, then the history in order,
 * then this run's own tool exchanges, and only then per-run additions.
 */
export interface PromptParts {
  instructions: string;
  /** The thread's messages, oldest first, excluding the assistant messages this run wrote. */
  history: Message[];
  /** This run's steps so far, oldest first, with the messages they created. */
  runTurns: ChatMessage[];
  /** Per-run text (additional_instructions, tool_choice hints): appended last as a system message. */
  additions: string[];
  truncation: TruncationStrategy;
  /**
   * Images to send with user messages (vision models only), base64, keyed by imageKey(part); an image part
   * without an entry is named in the text instead.
   */
  images?: ReadonlyMap<string, string>;
}

export interface TokenBudget {
  /** Most tokens the prompt may use (context minus the reply's reserve, or max_prompt_tokens). */
  promptTokens: number;
  /** How messages are counted: the model's own tokenizer where its engine has one (tokenCounter), else estimate. */
  count?: TokenCount;
}

export type PromptResult = { ok: true; messages: ChatMessage[]; estimatedTokens: number } | { ok: false; estimatedTokens: number };

export function buildPrompt(parts: PromptParts, budget: TokenBudget): PromptResult {
  const system: ChatMessage[] = parts.instructions.trim() === "" ? [] : [{ role: "system", content: parts.instructions }];
  const tail: ChatMessage[] = parts.additions.length === 0 ? [] : [{ role: "system", content: parts.additions.join("\n\n") }];
  let history = parts.history.map((m) => toChatMessage(m, parts.images));
  if (parts.truncation.type === "last_messages" && parts.truncation.last_messages !== null) {
    history = history.slice(-parts.truncation.last_messages);
  }
  // The latest user turn (and everything after it) is never dropped; older history goes oldest first.
  const lastUser = history.findLastIndex((m) => m.role === "user");
  const kept = lastUser === -1 ? history : history.slice(lastUser);
  const older = lastUser === -1 ? [] : history.slice(0, lastUser);
  const whole = budget.count ?? estimate;
  // What messages add to a prompt that already has the template's fixed part (an exact count of a list alone
  // includes it: BOS, a default system prompt, the reply's opening); counted once, in fixedCost.
  const fixedPart = whole([]);
  const count: TokenCount = (messages) => Math.max(0, whole(messages) - fixedPart);
  const fixedCost = whole([...system, ...kept, ...tail]);
  const runTurns = fitToolResults(parts.runTurns, budget.promptTokens - fixedCost, count);
  let used = fixedCost + count(runTurns);
  if (used > budget.promptTokens) return { ok: false, estimatedTokens: used };
  let firstKept = older.length;
  while (firstKept > 0) {
    const cost = count([older[firstKept - 1]!]);
    if (used + cost > budget.promptTokens) break;
    used += cost;
    firstKept--;
  }
  return { ok: true, messages: [...system, ...older.slice(firstKept), ...kept, ...runTurns, ...tail], estimatedTokens: used };
}
/**
 * Tool results (file_search passages, code output) are the bulkiest and most compressible part of a run:
 * when the run's turns exceed `budget` tokens, the longest tool results are cut first, keeping their start.
 */
const CUT_NOTE = "\n[… cut to fit the model's context]";

function fitToolResults(turns: ChatMessage[], budget: number, count: TokenCount): ChatMessage[] {
  let excess = count(turns) - budget;
  if (excess <= 0) return turns;
  const out = turns.map((t) => ({ ...t }));
  const tools = out.filter((t) => t.role === "tool").sort((a, b) => b.content.length - a.content.length);
  for (const turn of tools) {
    const original = turn.content;
    // Cut by this text's own characters per token (about 3 by the estimate, 4 or more by a real tokenizer on
    // prose, fewer on codes), again while it still does not fit: a few passes at most.
    for (let pass = 0; pass < 4 && excess > 0; pass++) {
      const before = count([turn]);
      const charsPerToken = turn.content.length / Math.max(1, before);
      const keepChars = Math.max(200, Math.min(original.length, turn.content.length - CUT_NOTE.length) - Math.ceil(excess * charsPerToken) - 3);
      if (keepChars >= original.length || (turn.content !== original && keepChars >= turn.content.length - CUT_NOTE.length)) break;
      turn.content = `${original.slice(0, keepChars)}${CUT_NOTE}`;
      excess -= before - count([turn]);
    }
    if (excess <= 0) break;
  }
  return out;
}

/**
 * What the model gets for a stored message: its text, and the images of a user message that `images` holds
 * (for a vision model). Other images are named in the text, so the model at least knows one was there.
 */
export function toChatMessage(message: Message, images?: ReadonlyMap<string, string>): ChatMessage {
  const sent: string[] = [];
  const text = message.content
    .map((part) => {
      if (part.type === "text") return part.text.value;
      const image = message.role === "user" ? images?.get(imageKey(part)) : undefined;
      if (image !== undefined) {
        sent.push(image);
        return null;
      }
      return imageName(part.type === "image_file" ? { fileId: part.image_file.file_id } : { url: part.image_url.url });
    })
    .filter((t): t is string => t !== null)
    .join("\n");
  return sent.length > 0 ? { role: "user", content: text, images: sent } : { role: message.role, content: text };
}

/**
 * Renders a finished tool_calls step as the assistant call plus one tool result per call, each as its tool
 * replays it. Passages are numbered from `firstSource` on, the numbers the model cites (see citations.ts).
 */
export function toolStepTurns(step: RunStep, tools: Toolbox, firstSource = 1): ChatMessage[] {
  if (step.step_details.type !== "tool_calls") return [];
  let next = firstSource;
  const replayed = step.step_details.tool_calls.map((call) => {
    const r = tools.replay(call, next);
    next += tools.sources(call).length;
    return r;
  });
  return [
    { role: "assistant", content: "", tool_calls: replayed.map((r) => ({ name: r.name, arguments: r.arguments })) },
    ...replayed.map((r): ChatMessage => ({ role: "tool", tool_name: r.name, content: r.output })),
  ];
}
