import type { ConversationCreateParams, ConversationUpdateParams, ItemsCreateParams } from "../api/conversations.js";
import type { ResponseCreateParams } from "../api/responses.js";
import type { Conversation, Response, ResponseItem } from "../api/responses-wire.js";
import type { Clock } from "../clock.js";
import { badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";
import type { ConversationHolds, Hold } from "../objects/conversation-holds.js";
import { pageOfArray } from "../store/array-page.js";
import { inputItems } from "./input-items.js";
import { isThreadId, type ThreadBridge } from "./thread-bridge.js";
import { log } from "../log.js";

/**
 * Conversations: an object with metadata and its items in order. Responses made `in` a conversation read its
 * items as their history and add their input and output when they end; one response at a time per
 * conversation (a second is refused, as a second active run on a thread is), so items never interleave.
 */
export class ConversationService {
  constructor(
    private readonly deps: {
      repos: Pick<Repos, "conversations" | "conversationItems">;
      clock: Clock;
      holds: ConversationHolds;
      threads: ThreadBridge;
      threadMetadata: (threadId: string, metadata: Record<string, string>) => void;
    },
  ) {}

  create(p: ConversationCreateParams): { conversation: Conversation; items: ResponseItem[] } {
    const items = inputItems(p.items ?? [], [], "items");
    const conversation: Conversation = { id: newId("conv_"), object: "conversation", created_at: this.deps.clock(), metadata: p.metadata ?? {} };
    this.deps.repos.conversations.insert(conversation);
    this.deps.repos.conversationItems.insertAll(conversation.id, conversation.created_at, items);
    return { conversation, items };
  }

  /** A conversation, or an Assistants thread read as one (thread-bridge.ts). */
  get(id: string): Conversation {
    const found = isThreadId(id) ? this.deps.threads.conversation(id) : this.deps.repos.conversations.get(id);
    return found ?? throwNotFound(id);
  }

  /** Newest first by default; beyond the hosted API (which cannot list conversations). */
  page(q: PageQuery): Page<Conversation> | null {
    return this.deps.repos.conversations.page({}, q);
  }

  update(id: string, p: ConversationUpdateParams): Conversation {
    const conversation = { ...this.get(id), metadata: p.metadata ?? {} };
    if (!isThreadId(id)) return this.deps.repos.conversations.update(conversation);
    this.deps.threadMetadata(id, conversation.metadata);
    return conversation;
  }

  delete(id: string): { id: string; object: "conversation.deleted"; deleted: true } {
    this.get(id);
    refuseForThread(id, "delete it with the Assistants API (threads.delete)");
    this.refuseWhileBusy(id);
    this.deps.repos.conversationItems.deleteFor(id);
    this.deps.repos.conversations.delete(id);
    return { id, object: "conversation.deleted", deleted: true };
  }

  /** Adds items at the end, as given (ids kept or made); refused while a response holds the conversation. */
  addItems(id: string, p: ItemsCreateParams): ResponseItem[] {
    this.get(id);
    this.refuseWhileBusy(id);
    if (isThreadId(id)) {
      this.deps.threads.refuseWhileRunning(id, "items");
      return this.deps.threads.append(id, inputItems(p.items, [], "items"), "items");
    }
    const existing = this.items(id);
    const items = inputItems(p.items, existing, "items");
    const present = new Set(existing.map((item) => item.id));
    const again = items.findIndex((item, i) => present.has(item.id) || items.findIndex((other) => other.id === item.id) !== i);
    if (again !== -1) throw badRequest(`Item with id '${items[again]!.id}' is already in this conversation.`, `items[${again}]`, "duplicate_item");
    this.deps.repos.conversationItems.insertAll(id, this.deps.clock(), items);
    return items;
  }

  items(id: string): ResponseItem[] {
    return isThreadId(id) ? this.deps.threads.items(id) : this.deps.repos.conversationItems.all(id);
  }

  itemPage(id: string, q: PageQuery): Page<ResponseItem> | null {
    this.get(id);
    return isThreadId(id) ? pageOfArray(this.deps.threads.items(id), q) : this.deps.repos.conversationItems.page(id, q);
  }

  item(id: string, itemId: string): ResponseItem {
    this.get(id);
    const found = isThreadId(id) ? this.deps.threads.items(id).find((item) => item.id === itemId) : this.deps.repos.conversationItems.get(id, itemId);
    return found ?? throwItemNotFound(itemId);
  }

  /** Removes one item; answers the conversation, as the hosted API does. */
  deleteItem(id: string, itemId: string): Conversation {
    const conversation = this.get(id);
    refuseForThread(id, "delete its messages with the Assistants API (threads.messages.delete)");
    this.refuseWhileBusy(id);
    if (!this.deps.repos.conversationItems.delete(id, itemId)) throwItemNotFound(itemId);
    return conversation;
  }

  /** Its items as a response's history, without holding it (counting input tokens); a 400 naming `param` if missing. */
  historyOf(id: string, param: string): ResponseItem[] {
    const exists = isThreadId(id) ? this.deps.threads.conversation(id) !== null : this.deps.repos.conversations.get(id) !== null;
    if (!exists) throw badRequest(`Conversation with id '${id}' not found.`, param, "conversation_not_found");
    return this.items(id);
  }

  /**
   * A response starts in the conversation, taken synchronously so two requests cannot both pass: its items so
   * far, and the hold, released when the response ended (or failed to start).
   */
  hold(id: string, param: string): ConversationHold {
    if (isThreadId(id)) this.deps.threads.refuseWhileRunning(id, param);
    const items = this.historyOf(id, param); // read before the hold is taken: a failure here must not leave it held
    return this.holdOf(id, items, this.deps.holds.take(id, param));
  }

  /**
   * The hold parked for queued response `responseId` (ConversationHold.park), taken over to execute (or end) it
   * here; its items are read once it is held (nothing can change them until it is released).
   */
  adopt(id: string, responseId: string, param: string): ConversationHold {
    const hold = this.deps.holds.adopt(id, responseId, param);
    try {
      return this.holdOf(id, this.historyOf(id, param), hold);
    } catch (err) {
      hold.release(); // deleted meanwhile: nothing to hold
      throw err;
    }
  }

  private holdOf(id: string, items: ResponseItem[], hold: Hold): ConversationHold {
    const thread = isThreadId(id);
    return {
      id,
      items,
      started: hold.started,
      park: hold.park,
      release: (added) => {
        if (!hold.release() || !added) return;
        const exists = thread ? this.deps.threads.conversation(id) !== null : this.deps.repos.conversations.get(id) !== null;
        if (!exists) return; // deleted meanwhile: nothing to add to
        const present = new Set(this.items(id).map((item) => item.id)); // an item given back is there already
        const fresh = added.filter((item) => !present.has(item.id));
        if (thread) this.deps.threads.append(id, fresh);
        else this.deps.repos.conversationItems.insertAll(id, this.deps.clock(), fresh);
      },
    };
  }

  private refuseWhileBusy(id: string, param: string | null = null): void {
    this.deps.holds.refuseIfHeld(id, param);
  }
}

/** A conversation held by one starting response. */
export interface ConversationHold {
  id: string;
  /** Its items when the response started: the response's history. */
  items: ResponseItem[];
  started(responseId: string): void;
  /** Leaves the conversation held for the response queued in it, which another node adopts (`adopt`). */
  park(): void;
  /** Ends the hold; `added` (the response's input and output) joins the conversation, null when it did not end well. */
  release(added: readonly ResponseItem[] | null): void;
}

/**
 * Ends a response's hold on its conversation: its input and output join it when it ended well; any other end,
 * or null (its end could not be stored), adds nothing. Never throws: the response is over either way, and its
 * conversation must be free for the next one.
 */
export function endHold(hold: ConversationHold | undefined, input: readonly ResponseItem[], ended: Response | null): void {
  const endedWell = ended !== null && (ended.status === "completed" || ended.status === "incomplete");
  try {
    hold?.release(endedWell ? [...input, ...ended.output] : null);
  } catch (err) {
    log.error({ err, response_id: ended?.id, conversation_id: hold?.id }, "adding the response's items to its conversation failed");
  }
}

/** The conversation a request names (an id, or `{id}`), or null. */
export function conversationIdOf(conversation: ResponseCreateParams["conversation"]): string | null {
  return typeof conversation === "string" ? conversation : (conversation?.id ?? null);
}

/** What a thread read as a conversation leaves to the Assistants API. */
function refuseForThread(id: string, instead: string): void {
  if (isThreadId(id)) throw badRequest(`'${id}' is an Assistants thread read as a conversation: ${instead}.`, null, "thread_conversation");
}

function throwNotFound(id: string): never {
  throw notFound("conversation", id);
}

function throwItemNotFound(id: string): never {
  throw notFound("conversation item", id);
}
