import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AsyncQueue } from "../../src/concurrency/async-queue.js";
import { sseResponse, type EventSource, type SseOptions } from "../../src/http/sse.js";
import type { RunEvent } from "../../src/runs/events.js";

/** A source over a queue the test feeds, remembering whether the writer closed it. */
function source(): { events: EventSource; queue: AsyncQueue<RunEvent>; closed: () => boolean } {
  const queue = new AsyncQueue<RunEvent>();
  let closed = false;
  return {
    queue,
    closed: () => closed,
    events: {
      next: (signal) => queue.next(signal),
      ready: () => queue.ready(),
      close: () => {
        closed = true;
        queue.close();
      },
    },
  };
}

function serve(events: EventSource, options?: SseOptions): Promise<Response> {
  const app = new Hono();
  app.get("/", (c) => sseResponse(c, events, options));
  return Promise.resolve(app.request("http://test.local/"));
}

describe("sseResponse", () => {
  it("writes each event as `event:` and one `data:` line of JSON, then the done event, with SSE headers", async () => {
    const { events, queue, closed } = source();
    queue.push({ event: "thread.run.created", data: { id: "run_1", text: "two\nlines" } });
    queue.push({ event: "thread.message.delta", data: { delta: "hi" } });
    queue.close();
    const res = await serve(events);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toBe(
      'event: thread.run.created\ndata: {"id":"run_1","text":"two\\nlines"}\n\n' + 'event: thread.message.delta\ndata: {"delta":"hi"}\n\n' + "event: done\ndata: [DONE]\n\n",
    );
    expect(closed()).toBe(true);
  });

  it("writes no `event:` line for an unnamed event, and a bare [DONE] where the API has no done event", async () => {
    const { events, queue } = source();
    queue.push({ event: "", data: { object: "chat.completion.chunk" } });
    queue.close();
    expect(await (await serve(events, { doneEvent: null })).text()).toBe('data: {"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n');
  });

  it("a source that fails ends the stream with an error event after what it gave, and no [DONE]", async () => {
    const { events, queue, closed } = source();
    queue.push({ event: "response.created", data: {} });
    queue.close(new Error("disk gone"), { afterBuffered: true });
    const text = await (await serve(events, { doneEvent: null })).text();
    expect(text.startsWith("event: response.created\ndata: {}\n\nevent: error\ndata: ")).toBe(true);
    const error = JSON.parse(text.split("event: error\ndata: ")[1]!.trim());
    expect(error).toEqual({ message: "The event stream broke: disk gone", type: "server_error", param: null, code: null });
    expect(text).not.toContain("[DONE]");
    expect(closed()).toBe(true);
  });

  it("writes keep-alive comments while no event comes, and a reader that leaves closes the source", async () => {
    const { events, queue, closed } = source();
    const res = await serve(events, { keepAliveMs: 20 });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe(": keep-alive\n\n");
    await reader.cancel();
    expect(closed()).toBe(true);
    expect(queue.push({ event: "late", data: {} })).toBe(false); // nothing reads it any more
  });

  it("events buffered together go out as one chunk; one arriving later is a chunk of its own", async () => {
    const { events, queue } = source();
    queue.push({ event: "thread.run.created", data: { n: 1 } });
    queue.push({ event: "thread.run.queued", data: { n: 2 } });
    queue.push({ event: "thread.run.in_progress", data: { n: 3 } });
    const reader = (await serve(events)).body!.getReader();
    const decode = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await decode()).toBe(
      'event: thread.run.created\ndata: {"n":1}\n\nevent: thread.run.queued\ndata: {"n":2}\n\nevent: thread.run.in_progress\ndata: {"n":3}\n\n',
    );
    const later = decode();
    queue.push({ event: "thread.message.delta", data: { n: 4 } });
    expect(await later).toBe('event: thread.message.delta\ndata: {"n":4}\n\n');
    queue.close();
    expect(await decode()).toBe("event: done\ndata: [DONE]\n\n");
  });

  it("a source without ready() is written one event per chunk", async () => {
    const { queue } = source();
    queue.push({ event: "a", data: {} });
    queue.push({ event: "b", data: {} });
    queue.close();
    const reader = (await serve({ next: (signal) => queue.next(signal), close: () => queue.close() })).body!.getReader();
    const chunks: string[] = [];
    for (let step = await reader.read(); !step.done; step = await reader.read()) chunks.push(new TextDecoder().decode(step.value));
    expect(chunks).toEqual(["event: a\ndata: {}\n\n", "event: b\ndata: {}\n\n", "event: done\ndata: [DONE]\n\n"]);
  });
});
