import http from "node:http";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { listen } from "../helpers/test-app.js";
import { names, parseSse, readSse, seed, textOf, useRunApp, waitFor, waitForRun } from "../helpers/runs.js";

/** The same streams over a real loopback socket: what a client on another process sees. */
describe("streaming over a real socket", () => {
  const app = useRunApp();
  let server: Awaited<ReturnType<typeof listen>>;
  let client: OpenAI;

  beforeEach(async () => {
    server = await listen(app().app);
    client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("the SDK streams a reply chunk by chunk as the model produces it", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    const chunks = ["Over", " the", " wire", " it", " goes."];
    t.ollama.script({ chunks, delayMs: 30 });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const sentAtDelta: number[] = [];
    const deltas: string[] = [];
    const errors: unknown[] = [];
    const before = t.ollama.chunksSent;
    stream.on("textDelta", (d) => {
      deltas.push(d.value ?? "");
      sentAtDelta.push(t.ollama.chunksSent - before);
    });
    stream.on("error", (e) => errors.push(e));
    const run = await stream.finalRun();
    expect(errors).toEqual([]);
    expect(run.status).toBe("completed");
    expect(deltas).toEqual(chunks);
    expect(sentAtDelta[0]).toBeLessThan(chunks.length);
  });

  it("a client that hangs up mid-stream: the server drops its subscription and the run completes with the full text", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ chunks: ["First", " part", " and", " the", " rest."], delayMs: 25 });
    const runId = await hangUpAfterFirstDelta(`${server.baseURL}/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true });
    await waitFor(() => !t.services.runEvents.hasListeners(runId), 2000, "the server to notice the disconnect");
    const run = await waitForRun(t.client, thread.id, runId);
    expect(run.status).toBe("completed");
    expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toBe("First part and the rest.");
  });

  it("a client that stops reading but stays connected is dropped once it falls 10,000 events behind; the run completes", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    // 60,000 deltas (about 14 MB of events): far more than loopback socket buffers hold, so the queue must fill.
    const chunks = Array.from({ length: 60_000 }, (_, i) => `${String(i).padStart(5, "0")}${"x".repeat(27)}`);
    t.ollama.script({ chunks });
    const stalled = await stopReadingAfterCreated(`${server.baseURL}/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true });
    try {
      const run = await waitForRun(t.client, thread.id, stalled.runId, undefined, 30_000);
      expect(run.status).toBe("completed");
      expect(textOf((await t.client.beta.threads.messages.list(thread.id)).data[0]!)).toHaveLength(60_000 * 32);
      expect(t.services.runEvents.hasListeners(stalled.runId)).toBe(false);
      // Reading again gets what the sockets held, then the end: the server hung up on it mid-stream. An
      // unbounded buffer would have kept every event for it and delivered them all, down to [DONE].
      const received = await stalled.readToEnd();
      expect(received).toContain("event: thread.message.delta");
      expect(received).not.toContain("[DONE]");
      expect(received).not.toContain("event: thread.run.completed");
    } finally {
      stalled.stop();
    }
  }, 60_000);

  it("a raw stream ends with done / [DONE] and closes", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: "short" });
    const res = await fetch(`${server.baseURL}/threads/${thread.id}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
    });
    expect(res.headers.get("cache-control")).toMatch(/no-cache/);
    const events = await readSse(res);
    expect(names(events).slice(-2)).toEqual(["run.completed", "done"]);
  });

  it("a raw stream over the socket carries the request id, CORS marks for an allowed page, and the v1 format when asked", async () => {
    const t = app();
    const { assistant, thread } = await seed(t);
    t.ollama.script({ text: "v1 over the wire" });
    const origin = "http://localhost:3000"; // loopback pages are allowed by default
    const { headers, text } = await rawPost(`${server.baseURL}/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }, { origin, "openai-beta": "assistants=v1" });
    expect(headers["content-type"]).toBe("text/event-stream");
    expect(headers["x-request-id"]).toMatch(/^[\w-]{8,}$/);
    expect(headers["access-control-allow-origin"]).toBe(origin);
    expect(headers["access-control-expose-headers"]).toMatch(/x-request-id/);
    const events = parseSse(text);
    expect(names(events).slice(-2)).toEqual(["run.completed", "done"]);
    expect(events.find((e) => e.event === "thread.run.created")!.data.file_ids).toEqual([]); // v1's run field
    expect(text.endsWith("event: done\ndata: [DONE]\n\n")).toBe(true);
  });

  it("the Responses API's stream over the socket: its events in order, ending with a bare [DONE]", async () => {
    const t = app();
    t.ollama.script({ chunks: ["Straight", " to", " the", " socket."] });
    const { headers, text } = await rawPost(`${server.baseURL}/responses`, { model: "gpt-4o", input: "hi", stream: true });
    expect(headers["content-type"]).toBe("text/event-stream");
    // Each event is named by its type; the stream ends with a bare `data: [DONE]` (no `event:` line).
    const blocks = text.split("\n\n").filter((b) => b !== "");
    expect(blocks.at(-1)).toBe("data: [DONE]");
    const events = parseSse(blocks.slice(0, -1).join("\n\n"));
    for (const e of events) expect(e.event).toBe(e.data.type);
    const types = events.map((e) => e.data.type as string);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.data.type === "response.output_text.delta").map((e) => e.data.delta).join("")).toBe("Straight to the socket.");
  });
});

/** A POST over a one-off connection, read to its end: the answer's headers and its body as text. */
function rawPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * POSTs over a one-off connection (node:http, no pooled keep-alive socket to outlive the test), reads events
 * until the first message delta, then destroys the socket. Resolves with the run id from thread.run.created.
 */
function hangUpAfterFirstDelta(url: string, body: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (!text.includes("event: thread.message.delta\n")) return;
        const events = parseSse(text.slice(0, text.lastIndexOf("\n\n")));
        req.destroy();
        resolve(events[0]!.data.id as string);
      });
    });
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    req.end(JSON.stringify(body));
  });
}

/**
 * POSTs over a raw TCP connection, reads until thread.run.created, then stops reading from the socket without
 * closing it (a stalled client; net.Socket.pause stops reading the file descriptor, so the kernel's buffers
 * fill). `readToEnd` reads again until the server closes the connection (at most 10 s); `stop` closes it.
 */
function stopReadingAfterCreated(url: string, body: unknown): Promise<{ runId: string; readToEnd: () => Promise<string>; stop: () => void }> {
  const { hostname, port, pathname } = new URL(url);
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    const ended = new Promise<string>((done) => socket.once("close", () => done(text)));
    const readToEnd = () => {
      socket.resume();
      const timer = setTimeout(() => socket.destroy(), 10_000);
      return ended.finally(() => clearTimeout(timer));
    };
    const watch = () => {
      const match = /"id":"(run_[0-9A-Za-z]+)"/.exec(text);
      if (!match) return;
      socket.off("data", watch);
      socket.pause();
      resolve({ runId: match[1]!, readToEnd, stop: () => socket.destroy() });
    };
    socket.on("data", watch);
  });
}
