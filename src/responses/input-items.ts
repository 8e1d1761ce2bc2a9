import type { InputItemParam } from "../api/responses.js";
import type { MessageItem, Response, ResponseItem } from "../api/responses-wire.js";
import { badRequest } from "../errors.js";
import { newId } from "../ids.js";
import type { ChatMessage } from "../llm/chat-model.js";
import type { OwnedItemsRepo, ResponsesRepo } from "../store/responses-repo.js";
import type { NumberedSource } from "../runs/citations.js";
import { parseArguments, type Toolbox } from "../tools/toolbox.js";
import { Attachments } from "./attachments.js";
import { compactionMessage, decodeCompaction } from "./compaction.js";

/** Longest chain of previous responses followed (a guard against a cycle in a damaged store, not a product limit). */
const MAX_CHAIN = 10_000;

/**
 * A request's `input` as stored items, each with an id: a string is one user message; item references are
 * resolved against `context` (the items of the previous responses). Refuses what this server cannot use yet,
 * naming the field, rather than sending the model less than the caller gave.
 */
export function inputItems(input: string | InputItemParam[] | undefined, context: readonly ResponseItem[], field = "input"): ResponseItem[] {
  if (input === undefined) return [];
  if (typeof input === "string") return [{ id: newId("msg_"), type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: input }] }];
  const items = input.map((item, i) => resolveItem(item, `${field}[${i}]`, context));
  // Items are stored by id (a response's input, a conversation): the same id twice is a mistake, named here.
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) throw badRequest(`Item with id '${item.id}' appears more than once.`, `${field}[${i}]`, "duplicate_item");
    seen.add(item.id);
  });
  return items;
}

function resolveItem(item: InputItemParam, param: string, context: readonly ResponseItem[]): ResponseItem {
  switch (item.type) {
    case "message": {
      const content = typeof item.content === "string" ? [{ type: "input_text" as const, text: item.content }] : item.content;
      const parts = content.map((part, j) => {
        if (part.type === "input_text") return part;
        if (part.type === "output_text") return { type: "output_text" as const, text: part.text, annotations: part.annotations ?? [], logprobs: part.logprobs ?? [] };
        if (part.type === "input_image") return { type: "input_image" as const, image_url: part.image_url ?? null, file_id: part.file_id ?? null, detail: part.detail ?? "auto" };
        if (part.file_url !== undefined) {
          throw badRequest("This server does not fetch URLs (it works offline): upload the file and pass its file_id, or send its bytes as file_data.", `${param}.content[${j}].file_url`, "unsupported_value");
        }
        return { type: "input_file" as const, file_id: part.file_id ?? null, filename: part.filename ?? null, ...(part.file_data !== undefined ? { file_data: part.file_data } : {}) };
      });
      return { id: item.id ?? newId("msg_"), type: "message", role: item.role, status: "completed", content: parts };
    }
    case "function_call":
      return { id: item.id ?? newId("fc_"), type: "function_call", status: "completed", call_id: item.call_id, name: item.name, arguments: item.arguments };
    case "function_call_output": {
      if (typeof item.output !== "string") throw badRequest("Only text function call outputs are supported by this server yet.", `${param}.output`, "unsupported_value");
      return { id: item.id ?? newId("fco_"), type: "function_call_output", status: "completed", call_id: item.call_id, output: item.output };
    }
    case "compaction":
      decodeCompaction(item.encrypted_content, `${param}.encrypted_content`); // one made elsewhere is a 400 now
      return { id: item.id ?? newId("cmp_"), type: "compaction", encrypted_content: item.encrypted_content };
    case "reasoning":
      return { id: item.id, type: "reasoning", status: item.status ?? "completed", summary: item.summary, content: item.content ?? [] };
    case "file_search_call": // replayed with the results it carries (none unless they were included)
      return { ...item, results: item.results?.map((r) => ({ ...r, attributes: r.attributes ?? {} })) ?? null };
    case "code_interpreter_call":
      return item;
    case "item_reference": {
      const found = context.find((c) => c.id === item.id);
      if (!found) throw badRequest(`Item with id '${item.id}' not found.`, `${param}.id`);
      return found;
    }
  }
}

/**
 * What a stored response continues from, oldest first: for each response of the chain, its input items and its
 * output (instructions are not carried over, as the hosted API does). Throws a 400 when the id names no response.
 */
export function chainItems(previousId: string, repos: { responses: ResponsesRepo; responseItems: OwnedItemsRepo }): ResponseItem[] {
  const chain: Response[] = [];
  for (let id: string | null = previousId; id !== null && chain.length < MAX_CHAIN; ) {
    const response = repos.responses.get(id);
    if (!response) {
      if (chain.length === 0) throw badRequest(`Previous response with id '${previousId}' not found.`, "previous_response_id", "previous_response_not_found");
      break; // an older link was deleted: the history starts after it
    }
    chain.push(response);
    id = response.previous_response_id;
  }
  return chain.reverse().flatMap((r) => [...repos.responseItems.all(r.id), ...r.output]);
}

/**
 * The model's view of the items: messages as turns (developer is system), function calls as the assistant's
 * tool calls and their outputs as tool results under the call's name, built-in call items replayed by their
 * tool as runs replay steps (passages numbered on across the items; they are the `sources` a reply may cite).
 * Documents are given as their text; a user's images are sent to a `vision` model and named for others.
 * An output whose call is in none of the items is a 400, as the hosted API answers.
 */
export function toChatMessages(
  items: readonly ResponseItem[],
  tools: Toolbox,
  attachments: Attachments = new Attachments(),
  vision = false,
): { messages: ChatMessage[]; sources: NumberedSource[] } {
  const names = new Map<string, string>();
  const out: ChatMessage[] = [];
  const sources: NumberedSource[] = [];
  // A reasoning item's trace goes back with the assistant turn that followed it when that turn called tools
  // (Ollama's `thinking`; gpt-oss's chat format needs it there), and is dropped after a final answer, as
  // the chat templates of thinking models drop earlier answers' reasoning.
  let thinking = "";
  const pushAssistant = (message: Extract<ChatMessage, { role: "assistant" }>) => {
    out.push(thinking && message.tool_calls?.length ? { ...message, thinking } : message);
    thinking = "";
  };
  for (const item of items) {
    if (item.type === "reasoning") {
      thinking += item.content.map((c) => c.text).join("");
    } else if (item.type === "compaction") {
      out.push({ role: "system", content: compactionMessage(item) });
    } else if (item.type === "message") {
      const message = messageOf(item, attachments, vision);
      if (message.role === "assistant") pushAssistant(message);
      else out.push(message);
    } else if (item.type === "function_call") {
      names.set(item.call_id, item.name);
      const call = { name: item.name, arguments: parseArguments(item.arguments), id: item.call_id };
      const last = out.at(-1);
      // Parallel calls are one assistant turn with several tool calls, as the model made them.
      if (last?.role === "assistant" && last.content === "" && last.tool_calls) last.tool_calls.push(call);
      else pushAssistant({ role: "assistant", content: "", tool_calls: [call] });
    } else if (item.type === "function_call_output") {
      const name = names.get(item.call_id);
      if (name === undefined) throw badRequest(`No tool call found for function call output with call_id ${item.call_id}.`, "input");
      out.push({ role: "tool", tool_name: name, content: item.output, tool_call_id: item.call_id });
    } else {
      const call = tools.callOfItem(item);
      if (!call) continue; // a tool this server no longer has: nothing it could show the model
      const replayed = tools.replay(call, sources.length + 1);
      for (const result of tools.sources(call)) sources.push({ n: sources.length + 1, result });
      pushAssistant({ role: "assistant", content: "", tool_calls: [{ name: replayed.name, arguments: replayed.arguments }] });
      out.push({ role: "tool", tool_name: replayed.name, content: replayed.output });
    }
  }
  return { messages: out, sources };
}

function messageOf(item: MessageItem, attachments: Attachments, vision: boolean): ChatMessage {
  const images: string[] = [];
  const text = item.content
    .map((part) => {
      if (part.type === "input_file") return attachments.text(part);
      if (part.type !== "input_image") return part.text;
      const image = vision && item.role === "user" ? attachments.image(part) : undefined;
      if (image === undefined) return Attachments.imageName(part);
      images.push(image);
      return null;
    })
    .filter((t): t is string => t !== null)
    .join("\n");
  if (item.role === "assistant") return { role: "assistant", content: text };
  if (item.role !== "user") return { role: "system", content: text };
  return images.length > 0 ? { role: "user", content: text, images } : { role: "user", content: text };
}

/**
 * The index of an input item whose id is already in the history (a conversation's items, a chain) but whose
 * content differs (an edited message re-sent with its old id), or -1. One given back unchanged is fine: it is
 * there already and is neither shown nor added twice; a changed one would be lost, so it is refused instead.
 */
export function changedItemIndex(input: readonly ResponseItem[], existing: readonly ResponseItem[]): number {
  const byId = new Map(existing.map((item) => [item.id, item]));
  return input.findIndex((item) => {
    const there = byId.get(item.id);
    return there !== undefined && gist(there) !== gist(item);
  });
}

/** What an item says, whichever side (input or output) stored it: the fields a person would call its content. */
function gist(item: ResponseItem): string {
  const i = item as unknown as Record<string, unknown>;
  const parts = Array.isArray(i.content) ? (i.content as Array<Record<string, unknown>>) : [];
  // Images and files by their file, never by image_url: a listed item shows it only when asked (include[]).
  const content = parts.map((p) => p.text ?? p.file_id ?? p.filename ?? p.type ?? "").join("\u0000");
  return JSON.stringify([i.type, i.role ?? null, content, i.name ?? null, i.arguments ?? null, i.call_id ?? null, i.output ?? null]);
}
