import type { MessageCreateInput, ToolResourcesInput } from "../api/common.js";
import type { Message, Metadata, Thread } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { activeRunConflict } from "../errors.js";
import { newId } from "../ids.js";
import type { Db } from "../store/db.js";
import type { MessagesRepo } from "../store/messages-repo.js";
import type { RunsRepo } from "../store/runs-repo.js";
import type { StepsRepo } from "../store/steps-repo.js";
import type { ThreadsRepo } from "../store/threads-repo.js";
import { normalizeContent } from "./normalize.js";
import type { References } from "./references.js";

export interface ThreadRepos {
  db: Db;
  threads: ThreadsRepo;
  messages: MessagesRepo;
  runs: RunsRepo;
  steps: StepsRepo;
}

/** Threads and the messages in them: everything that touches more than one of those tables. */
export class ThreadService {
  constructor(
    private readonly repos: ThreadRepos,
    private readonly refs: References,
    private readonly clock: Clock,
  ) {}

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
    this.repos.db.transaction(() => {
      this.repos.threads.insert(thread);
      for (const [i, m] of messages.entries()) this.insertMessage(thread.id, m, `messages[${i}].attachments`);
    })();
    return thread;
  }

  /** Adds a user/assistant message; refused while a run holds the thread (the run is reading its history). */
  addMessage(threadId: string, input: MessageCreateInput): Message {
    const active = this.repos.runs.activeForThread(threadId);
    if (active) throw activeRunConflict(threadId, active.id);
    return this.insertMessage(threadId, input, "attachments");
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

  /** Deletes the thread with its messages, runs and steps in one transaction. */
  delete(threadId: string): boolean {
    return this.repos.db.transaction(() => {
      if (!this.repos.threads.delete(threadId)) return false;
      this.repos.messages.deleteWhere({ thread_id: threadId });
      this.repos.steps.deleteWhere({ thread_id: threadId });
      this.repos.runs.deleteForThread(threadId);
      return true;
    })();
  }
}
