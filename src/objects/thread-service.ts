import type { MessageCreateInput, ToolResourcesInput } from "../api/common.js";
import type { Message, Metadata, Thread } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { activeRunConflict, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { atomically, type Db } from "../store/db.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { MessagesRepo } from "../store/messages-repo.js";
import type { RunsRepo } from "../store/runs-repo.js";
import type { StepsRepo } from "../store/steps-repo.js";
import type { ThreadsRepo } from "../store/threads-repo.js";
import { normalizeContent } from "./normalize.js";
import type { ConversationHolds } from "./conversation-holds.js";
import { applyPatch } from "./patch.js";
import type { References } from "./references.js";

export interface ThreadRepos {
  db: Db;
  threads: ThreadsRepo;
  messages: MessagesRepo;
  runs: RunsRepo;
  steps: StepsRepo;
}

/**
 * What deleting a thread needs from the layers above: its active run stopped (its model call, tools) before its
 * rows go, and its code interpreter session ended once they went. A port because objects/ sits below runs/ and
 * sandbox/; the composition root fills it.
 */
export interface ThreadRunStopper {
  stopRuns(threadId: string): void;
  /** Called only for a thread that was deleted (so never for another project's id). */
  endSession(threadId: string): void;
}

/** The fields of a thread modify (OpenAI's ThreadUpdateParams). */
export interface ThreadPatch {
  tool_resources?: ToolResourcesInput | null | undefined;
  metadata?: Metadata | null | undefined;
}

/** Threads and the messages in them: everything that touches more than one of those tables. */
export class ThreadService {
  constructor(
    private readonly repos: ThreadRepos,
    private readonly refs: References,
    private readonly clock: Clock,
    private readonly runs: ThreadRunStopper,
    /** A thread a response holds (read as a conversation) refuses message changes too. */
    private readonly holds: Pick<ConversationHolds, "refuseIfHeld">,
  ) {}

  find(threadId: string): Thread {
    const thread = this.repos.threads.get(threadId);
    if (!thread) throw notFound("thread", threadId);
    return thread;
  }

  /** 404 for an unknown thread; for reads that need only to know it is there (its stored text, not parsed). */
  mustExist(threadId: string): void {
    if (this.repos.threads.getBody(threadId) === null) throw notFound("thread", threadId);
  }

  /** Applies a modify: keys sent replace the stored value, `metadata: null` clears it. */
  update(threadId: string, p: ThreadPatch): Thread {
    const updated = applyPatch(this.find(threadId), {
      tool_resources: p.tool_resources === undefined ? undefined : this.refs.toolResources(p.tool_resources, "tool_resources"),
      metadata: p.metadata === undefined ? undefined : (p.metadata ?? {}),
    });
    return this.repos.threads.update(updated);
  }

  create(input: {
    messages?: MessageCreateInput[] | undefined;
    tool_resources?: ToolResourcesInput | null | undefined;
    metadata?: Metadata | null | undefined;
  }): Thread {
    const messages = input.messages ?? [];
    // Validate every reference before writing anything, so a bad request leaves no half-made thread.
    messages.forEach((m, i) => this.refs.attachments(m, `messages[${i}].attachments`));
    const thread: Thread = {
      id: newId("thread_"),
      object: "thread",
      created_at: this.clock(),
      tool_resources: this.refs.toolResources(input.tool_resources, "tool_resources"),
      metadata: input.metadata ?? {},
    };
    atomically(this.repos.db, () => {
      this.repos.threads.insert(thread);
      for (const [i, m] of messages.entries()) this.insertMessage(thread.id, m, `messages[${i}].attachments`);
    });
    return thread;
  }

  /** Adds a user/assistant message; refused while a run holds the thread (the run is reading its history). */
  addMessage(threadId: string, input: MessageCreateInput): Message {
    this.refuseWhileRunActive(threadId);
    return this.insertMessage(threadId, input, "attachments");
  }

  /** The thread's message; 404 names the thread when it is unknown, else the message (also one of another thread). */
  findMessage(threadId: string, messageId: string): Message {
    this.find(threadId);
    const message = this.repos.messages.getInThread(threadId, messageId);
    if (!message) throw notFound("message", messageId);
    return message;
  }

  /** A page of the thread's stored message texts (optionally those one run wrote); null for an unknown cursor. */
  messageBodies(threadId: string, runId: string | undefined, q: PageQuery): Page<string> | null {
    const filter: Record<string, string> = { thread_id: threadId };
    if (runId !== undefined) filter.run_id = runId;
    return this.repos.messages.pageBodies(filter, q);
  }

  /** Only metadata can change. Like assistants and threads: left out keeps its value, null clears it. */
  updateMessage(threadId: string, messageId: string, p: { metadata?: Metadata | null | undefined }): Message {
    const current = this.findMessage(threadId, messageId);
    const metadata = p.metadata === undefined ? current.metadata : (p.metadata ?? {});
    return this.repos.messages.update({ ...current, metadata });
  }

  /** Deletes a message; refused while a run holds the thread, as adding one is (the run is reading the history). */
  deleteMessage(threadId: string, messageId: string): void {
    const message = this.findMessage(threadId, messageId);
    this.refuseWhileRunActive(threadId);
    this.repos.messages.delete(message.id);
  }

  private refuseWhileRunActive(threadId: string): void {
    const active = this.repos.runs.activeForThread(threadId);
    if (active) throw activeRunConflict(threadId, active.id);
    this.holds.refuseIfHeld(threadId);
  }

  /** Inserts a message with no active-run check (initial thread messages and a run's additional_messages). */
  insertMessage(threadId: string, input: MessageCreateInput, attachmentsParam: string, runId: string | null = null): Message {
    const now = this.clock();
    const message: Message = {
      id: newId("msg_"),
      object: "thread.message",
      created_at: now,
      thread_id: threadId,
      status: "completed",
      incomplete_details: null,
      completed_at: now,
      incomplete_at: null,
      role: input.role,
      content: normalizeContent(input.content),
      assistant_id: null,
      run_id: runId,
      attachments: this.refs.attachments(input, attachmentsParam),
      metadata: input.metadata ?? {},
    };
    this.repos.messages.insert(message);
    this.indexForFileSearch(threadId, message);
    return message;
  }

  /**
   * Files attached for file_search go into the thread's vector store, created on first need, as the hosted
   * API did; the run's file_search then finds them.
   */
  private indexForFileSearch(threadId: string, message: Message): void {
    const fileIds = (message.attachments ?? []).filter((a) => a.tools.some((t) => t.type === "file_search")).map((a) => a.file_id);
    if (fileIds.length === 0) return;
    const thread = this.repos.threads.get(threadId);
    if (!thread) return;
    const existing = thread.tool_resources?.file_search?.vector_store_ids[0];
    if (existing && this.refs.links.exists(existing)) {
      this.refs.links.addFiles(existing, fileIds);
      return;
    }
    const storeId = this.refs.links.createForFiles({ file_ids: fileIds });
    this.repos.threads.update({ ...thread, tool_resources: { ...thread.tool_resources, file_search: { vector_store_ids: [storeId] } } });
  }

  /**
   * Stops the thread's active run, deletes the thread with its messages, runs and steps in one
   * transaction, then ends its sandbox session. 404 when there is no such thread (nothing else happens).
   */
  delete(threadId: string): void {
    this.runs.stopRuns(threadId);
    const deleted = atomically(this.repos.db, () => {
      if (!this.repos.threads.delete(threadId)) return false;
      this.repos.messages.deleteWhere({ thread_id: threadId });
      this.repos.steps.deleteWhere({ thread_id: threadId });
      this.repos.runs.deleteForThread(threadId);
      return true;
    });
    if (!deleted) throw notFound("thread", threadId);
    this.runs.endSession(threadId);
  }
}
