import type { Message } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class MessagesRepo extends DocumentTable<Message> {
  constructor(db: Db) {
    super(db, "messages", [
      { name: "thread_id", of: (m) => m.thread_id, fixed: true },
      { name: "run_id", of: (m) => m.run_id, fixed: true },
    ]);
  }

  /** The thread's message when it exists and belongs to that thread. */
  getInThread(threadId: string, messageId: string): Message | null {
    const message = this.get(messageId);
    return message && message.thread_id === threadId ? message : null;
  }
}
