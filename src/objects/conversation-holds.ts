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
   * in by the composition root), so a response on another node holds the conversation here too. `heldAnywhere`
   * counts this node's lease too: one parked for a queued response has no entry here.
   */
  constructor(private readonly elsewhere: ConversationLeases | null = null) {}

  /** Takes the hold (synchronously, so two requests cannot both pass); `release` ends it. */
  take(id: string, param: string | null): Hold {
    this.refuseIfHeld(id, param);
    if (this.elsewhere && !this.elsewhere.claim(id)) throw locked(id, null, param);
    return this.holding(id);
  }

  /**
   * Takes over the hold parked for queued response `responseId`, to execute it here (or to end it); a 400
   * `conversation_locked` if the conversation is held otherwise.
   */
  adopt(id: string, responseId: string, param: string | null): Hold {
    if (this.held.has(id)) throw locked(id, this.held.get(id)!.responseId, param);
    if (this.elsewhere && !this.elsewhere.takeOver(id, responseId)) throw locked(id, null, param);
    const hold = this.holding(id);
    hold.started(responseId);
    return hold;
  }

  private holding(id: string): Hold {
    const holder = { responseId: null as string | null };
    this.held.set(id, holder);
    const mine = () => this.held.get(id) === holder;
    return {
      started: (responseId) => void (holder.responseId = responseId),
      release: () => {
        if (!mine()) return false;
        this.held.delete(id);
        this.elsewhere?.release(id);
        return true;
      },
      park: () => {
        if (!mine() || !this.elsewhere) return; // one process: nobody else could adopt it; it stays held here
        if (holder.responseId === null) throw new Error("a conversation hold is parked for its response: started() first");
        this.held.delete(id);
        this.elsewhere.park(id, holder.responseId);
      },
    };
  }

  /** A 400 `conversation_locked` naming `param` while a response holds it (on this node or, shared, another). */
  refuseIfHeld(id: string, param: string | null = null): void {
    const holder = this.held.get(id);
    if (holder) throw locked(id, holder.responseId, param);
    if (this.elsewhere?.heldAnywhere(id)) throw locked(id, null, param);
  }
}

/** A conversation's lease across nodes (WorkLeases, kind "conversation"); parked for a queued response by its id. */
export interface ConversationLeases {
  claim(id: string): boolean;
  release(id: string): void;
  park(id: string, responseId: string): void;
  takeOver(id: string, responseId: string): boolean;
  heldAnywhere(id: string): boolean;
}

/**
 * One response's hold. `park`: the response was queued for another node, which `adopt`s the hold; until then
 * the conversation stays held (across nodes, by a lease parked for the response) with no entry in this process.
 */
export interface Hold {
  started(responseId: string): void;
  release(): boolean;
  park(): void;
}

function locked(id: string, responseId: string | null, param: string | null) {
  return badRequest(`Conversation ${id} already has an active response${responseId ? ` ${responseId}` : ""}.`, param, "conversation_locked");
}
