import type { CompactionItem, CompactedResponse, MessageItem, ResponseItem, ResponseUsage } from "../api/responses-wire.js";
import { badRequest } from "../errors.js";
import { newId } from "../ids.js";

/** What the model is asked, after the conversation, to write the compaction from. */
export const COMPACT_INSTRUCTION =
  "Compact the conversation above so it can go on in less context. Write a concise summary of everything it " +
  "needs to continue: facts given, what was asked and answered, decisions made, results of tool calls, and what is " +
  "still open. Write only the summary.";

/**
 * `encrypted_content` of this server's compaction items: a versioned, opaque encoding of the summary (not a
 * secret — the conversation is the caller's own — but not meant to be read or edited either). OpenAI's
 * encrypted compactions cannot be read here.
 */
const PREFIX = "lac1.";

export function encodeCompaction(summary: string): string {
  return PREFIX + Buffer.from(JSON.stringify({ summary }), "utf8").toString("base64url");
}

/** The summary a compaction item carries; a 400 naming `param` for one this server did not make. */
export function decodeCompaction(encrypted: string, param: string): string {
  const fail = () => badRequest("This compaction item was not made by this server (its encrypted_content cannot be read here); compact the conversation here with POST /v1/responses/compact.", param, "invalid_value");
  if (!encrypted.startsWith(PREFIX)) throw fail();
  try {
    const body = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), "base64url").toString("utf8")) as { summary?: unknown };
    if (typeof body.summary !== "string") throw fail();
    return body.summary;
  } catch {
    throw fail();
  }
}

/** The model's view of a compaction item given back as input: the summary of what came before it. */
export function compactionMessage(item: CompactionItem): string {
  return `Summary of the earlier conversation (compacted):\n${decodeCompaction(item.encrypted_content, "input")}`;
}

/**
 * The compacted conversation, as the hosted API returns it: every user message of the items, in order, then
 * one compaction item carrying the summary (earlier compaction items are folded into it).
 */
export function compactedResponse(items: readonly ResponseItem[], summary: string, usage: ResponseUsage, now: number): CompactedResponse {
  const users = items.filter((item): item is MessageItem => item.type === "message" && item.role === "user");
  const compaction: CompactionItem = { id: newId("cmp_"), type: "compaction", encrypted_content: encodeCompaction(summary) };
  return { id: newId("resp_"), object: "response.compaction", created_at: now, output: [...users, compaction], usage };
}
