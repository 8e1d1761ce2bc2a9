/** Shared pieces of the Responses API suites: schema checks of responses, items and every streamed event. */
import { expect } from "vitest";
import { expectMatchesResponsesSchema } from "./openapi.js";

/** Each event type the server streams, and its schema in responses.openapi.json. */
const EVENT_SCHEMAS: Record<string, string> = {
  "response.created": "ResponseCreatedEvent",
  "response.in_progress": "ResponseInProgressEvent",
  "response.output_item.added": "ResponseOutputItemAddedEvent",
  "response.output_item.done": "ResponseOutputItemDoneEvent",
  "response.content_part.added": "ResponseContentPartAddedEvent",
  "response.content_part.done": "ResponseContentPartDoneEvent",
  "response.output_text.delta": "ResponseTextDeltaEvent",
  "response.output_text.done": "ResponseTextDoneEvent",
  "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
  "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
  "response.output_text.annotation.added": "ResponseOutputTextAnnotationAddedEvent",
  "response.file_search_call.in_progress": "ResponseFileSearchCallInProgressEvent",
  "response.file_search_call.searching": "ResponseFileSearchCallSearchingEvent",
  "response.file_search_call.completed": "ResponseFileSearchCallCompletedEvent",
  "response.code_interpreter_call.in_progress": "ResponseCodeInterpreterCallInProgressEvent",
  "response.code_interpreter_call_code.delta": "ResponseCodeInterpreterCallCodeDeltaEvent",
  "response.code_interpreter_call_code.done": "ResponseCodeInterpreterCallCodeDoneEvent",
  "response.code_interpreter_call.interpreting": "ResponseCodeInterpreterCallInterpretingEvent",
  "response.code_interpreter_call.completed": "ResponseCodeInterpreterCallCompletedEvent",
  "response.reasoning_text.delta": "ResponseReasoningTextDeltaEvent",
  "response.reasoning_text.done": "ResponseReasoningTextDoneEvent",
  "response.completed": "ResponseCompletedEvent",
  "response.incomplete": "ResponseIncompleteEvent",
  "response.failed": "ResponseFailedEvent",
};

export function expectResponseSchema(response: unknown): void {
  expectMatchesResponsesSchema(response, "Response");
}

/** Every event matches its own schema, and sequence numbers count up from 0 without a gap. */
export function expectEventsSchema(events: readonly { type: string; sequence_number: number }[]): void {
  events.forEach((event, i) => {
    const schema = EVENT_SCHEMAS[event.type];
    expect(schema, `no schema known for ${event.type}`).toBeDefined();
    expectMatchesResponsesSchema(event, schema!);
    expect(event.sequence_number).toBe(i);
  });
}

/** A raw Responses SSE body as `{event, data}` blocks; the last block must be a bare `data: [DONE]`. */
export function parseResponsesSse(text: string): { event: string | null; data: string }[] {
  const blocks = text
    .split("\n\n")
    .map((b) => b.split("\n").filter((l) => l !== "" && !l.startsWith(":")))
    .filter((lines) => lines.length > 0)
    .map((lines) => ({
      event: lines.find((l) => l.startsWith("event: "))?.slice(7) ?? null,
      data: lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"),
    }));
  expect(blocks.at(-1)).toEqual({ event: null, data: "[DONE]" });
  return blocks;
}

/** The event types of one streamed text item: a message with `deltas` text deltas, or a reasoning item's. */
export function itemEventTypes(deltas: number, kind: "output_text" | "reasoning_text" = "output_text"): string[] {
  return [
    "response.output_item.added",
    "response.content_part.added",
    ...Array<string>(deltas).fill(`response.${kind}.delta`),
    `response.${kind}.done`,
    "response.content_part.done",
    "response.output_item.done",
  ];
}

/** Every event of a `responses.stream`, and the SDK's accumulated final response. */
export async function collectStream<R>(stream: AsyncIterable<{ type: string; sequence_number: number }> & { finalResponse(): Promise<R> }): Promise<{ events: { type: string; sequence_number: number }[]; final: R }> {
  const events: { type: string; sequence_number: number }[] = [];
  for await (const event of stream) events.push(event);
  return { events, final: await stream.finalResponse() };
}
