/** Types for sse.js (a plain browser module, also unit-tested from Node). */
export interface SseEvent {
  event: string;
  data: string;
}
export interface SseParser {
  push(text: string): void;
  end(): void;
}
export function createSseParser(onEvent: (event: SseEvent) => void): SseParser;
export function readSse(response: Response): AsyncGenerator<SseEvent>;
