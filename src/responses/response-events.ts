import type { ResponseEvent, ResponseItem } from "../api/responses-wire.js";

/** What one WebSocket connection remembers between its turns: the last response that ended well, and its history. */
export interface ConnectionMemory {
  last: { id: string; items: ResponseItem[] } | null;
}

/** A reader's view of a response's events: the next one, leaving (`close`), and whether it was dropped for lagging. */
export interface ResponseEvents {
  next(signal?: AbortSignal): Promise<IteratorResult<ResponseEvent, undefined>>;
  /** An event already buffered, without waiting (undefined: none yet). */
  ready(): ResponseEvent | undefined;
  close(): void;
  readonly dropped: AbortSignal;
}
