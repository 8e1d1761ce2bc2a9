import { ApiError } from "../errors.js";

/**
 * Bounds uploads received at once (MAX_CONCURRENT_UPLOADS): more wait their turn, first come first served,
 * holding nothing but their connection (their bodies stay unread: TCP back-pressure holds the client). Past
 * `maxWaiting` waiting, an upload is refused with 429 (the SDKs retry it after `retry-after`). A client that
 * hangs up while waiting leaves the queue.
 */
export class UploadGate {
  private active = 0;
  private readonly waiting: Array<{ admit: () => void }> = [];

  constructor(
    readonly slots: number,
    readonly maxWaiting: number = slots * 16,
  ) {}

  /** Resolves with the release function once this upload may be received. */
  async enter(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.slots) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxWaiting) {
      throw new ApiError(
        429,
        `Too many uploads at once: ${this.active} are being received and ${this.waiting.length} are waiting (MAX_CONCURRENT_UPLOADS=${this.slots}). Retry shortly.`,
        "requests",
        null,
        "rate_limit_exceeded",
      );
    }
    return new Promise<() => void>((resolve, reject) => {
      const entry = {
        admit: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(Object.assign(new Error("The client closed the connection while its upload waited."), { code: "ECONNRESET" }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  get counts(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.admit(); // the slot passes on: `active` stays
      else this.active--;
    };
  }
}
