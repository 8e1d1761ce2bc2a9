/**
 * Waiting for a condition on shared state without polling it: whoever changes the state calls `notify(key)`
 * (a vector store's id, say), and whoever waits on that key checks its condition again. The first check and
 * the subscription happen in one synchronous step, so a notify cannot fall between them.
 */
export interface UntilOptions {
  /** Aborting it rejects the wait with the signal's reason. */
  signal?: AbortSignal;
  /** Longest wait; then the wait resolves false. Default: no limit. */
  timeoutMs?: number;
}

export class KeyedCondition<K> {
  private readonly waiters = new Map<K, Set<() => void>>();

  /** The state under `key` changed: its waiters check their conditions. */
  notify(key: K): void {
    const waiting = this.waiters.get(key);
    if (!waiting) return;
    for (const check of [...waiting]) check();
  }

  /** How many waits are subscribed under `key` (for tests: a finished wait leaves nothing behind). */
  waiting(key: K): number {
    return this.waiters.get(key)?.size ?? 0;
  }

  /**
   * Resolves true once `holds()` is true, checked now and after each notify of one of `keys`; false when
   * `timeoutMs` passes first. Rejects with the signal's reason when `signal` aborts, and with what `holds` throws.
   */
  until(keys: readonly K[], holds: () => boolean, options: UntilOptions = {}): Promise<boolean> {
    const { signal, timeoutMs } = options;
    return new Promise<boolean>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (settle: () => void): void => {
        done = true;
        for (const key of keys) {
          const waiting = this.waiters.get(key);
          waiting?.delete(check);
          if (waiting?.size === 0) this.waiters.delete(key);
        }
        signal?.removeEventListener("abort", onAbort);
        clearTimeout(timer);
        settle();
      };
      const check = (): void => {
        try {
          if (holds()) finish(() => resolve(true));
        } catch (err) {
          finish(() => reject(err));
        }
      };
      const onAbort = (): void => finish(() => reject(signal!.reason));
      check();
      if (done) return;
      for (const key of keys) {
        let waiting = this.waiters.get(key);
        if (!waiting) this.waiters.set(key, (waiting = new Set()));
        waiting.add(check);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => finish(() => resolve(false)), timeoutMs);
        // A wait nothing else keeps alive (no request, no run) need not hold the process up until it times out.
        timer.unref();
      }
    });
  }
}
