import { badRequest } from "../errors.js";

/**
 * Which response holds a conversation now (a conversation, or an Assistants thread read as one): one at a time,
 * so items never interleave. The Conversations API, runs and thread messages all ask here, so a thread held by
 * a response refuses a run and a new message, as a thread held by a run refuses a response.
 */
export class ConversationHolds {
  private readonly held = new Map<string, { responseId: string | null }>();

  /** Takes the hold (synchronously, so two requests cannot both pass); `release` ends it. */
  take(id: string, param: string | null): { started(responseId: string): void; release(): boolean } {
    this.refuseIfHeld(id, param);
    const holder = { responseId: null as string | null };
    this.held.set(id, holder);
    return {
      started: (responseId) => void (holder.responseId = responseId),
      release: () => {
        if (this.held.get(id) !== holder) return false;
        this.held.delete(id);
        return true;
      },
    };
  }

  /** A 400 `conversation_locked` naming `param` while a response holds it. */
  refuseIfHeld(id: string, param: string | null = null): void {
    const holder = this.held.get(id);
    if (holder) throw badRequest(`Conversation ${id} already has an active response${holder.responseId ? ` ${holder.responseId}` : ""}.`, param, "conversation_locked");
  }
}
