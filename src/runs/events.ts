/** One server-sent event as the Assistants API names it, with the stored object (or delta) as data. */
export interface RunEvent {
  event: string;
  data: unknown;
}

export type RunEventListener = (event: RunEvent) => void;

/**
 * In-process publish/subscribe per run id. Emitting never throws back into the run: a listener that fails
 * (e.g. a client that went away) is dropped, and the run goes on.
 */
export class RunEvents {
  private readonly listeners = new Map<string, Set<RunEventListener>>();

  subscribe(runId: string, listener: RunEventListener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => this.unsubscribe(runId, listener);
  }

  unsubscribe(runId: string, listener: RunEventListener): void {
    const set = this.listeners.get(runId);
    set?.delete(listener);
    if (set && set.size === 0) this.listeners.delete(runId);
  }

  emit(runId: string, event: string, data: unknown): void {
    const set = this.listeners.get(runId);
    if (!set) return;
    const e = { event, data };
    // The common case, one listener, is iterated without a copy (this runs once per token): a listener removing
    // itself during the loop is safe in a Set. With several, a copy keeps the loop to those there at the start.
    for (const listener of set.size === 1 ? set : [...set]) {
      try {
        listener(e);
      } catch {
        set.delete(listener);
      }
    }
  }

  hasListeners(runId: string): boolean {
    return (this.listeners.get(runId)?.size ?? 0) > 0;
  }
}
