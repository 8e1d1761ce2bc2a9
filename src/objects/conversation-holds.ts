import { badRequest } from "../errors.js";

/**
 * Which response holds a conversation now (a conversation, or an Assistants thread read as one): one at a time,
 * so items never interleave. The Conversations API, runs and thread messages all ask here, so a thread held by
 * a response refuses a run and a new message, as a thread held by a run refuses a response.
 */
export class ConversationHolds {
  private readonly held = new Map<string, { responseId: string | null }>();

  /**
   * `elsewhere`: with several server nodes on one store, a hold is also a lease (cluster/work-leases.ts, filled
   * in by the composition root), so a response on another node holds the conversation here too.
   */
  constructor(private readonly elsewhere: { claim(id: string): boolean; release(id: string): void; heldByOther(id: string): boolean } | null = null) {}

  /** Takes the hold (synchronously, so two requests cannot both pass); `release` ends it. */
  take(id: string, param: string | null): { started(responseId: string): void; release(): boolean } {
    this.refuseIfHeld(id, param);
    if (this.elsewhere && !this.elsewhere.claim(id)) throw locked(id, null, param);
    const holder = { responseId: null as string | null };
    this.held.set(id, holder);
    return {
      started: (responseId) => void (holder.responseId = responseId),
      release: () => {
        if (this.held.get(id) !== holder) return false;
        this.held.delete(id);
        this.elsewhere?.release(id);
        return true;
      },
    };
  }

  /** A 400 `conversation_locked` naming `param` while a response holds it (on this node or, shared, another). */
  refuseIfHeld(id: string, param: string | null = null): void {
    const holder = this.held.get(id);
    if (holder) throw locked(id, holder.responseId, param);
    if (this.elsewhere?.heldByOther(id)) throw locked(id, null, param);
  }
}

function locked(id: string, responseId: string | null, param: string | null) {
  return badRequest(`Conversation ${id} already has an active response${responseId ? ` ${responseId}` : ""}.`, param, "conversation_locked");
}
