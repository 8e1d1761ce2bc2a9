/**
 * The Responses API's WebSocket mode (Open Responses, "WebSocket Transport") through the openai SDK's
 * ResponsesWS over a real socket: response.create turns processed one at a time with the SSE events,
 * `store: false` continuation from the connection's memory, `previous_response_not_found` (and eviction after a
 * failed continuation) as error envelopes, HTTP-only fields refused, stored responses continued from another
 * connection, and the /v1 guards (key, Origin, project) on the upgrade.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import WebSocket from "ws";
import { sha256Hex } from "../../src/objects/api-keys.js";
import { expectEventsSchema, itemEventTypes } from "../helpers/responses.js";
import { useRunApp } from "../helpers/runs.js";
import { listen } from "../helpers/test-app.js";

type Event = { type: string; sequence_number: number; [key: string]: unknown };
const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

/** Sends one turn and collects its messages up to its terminal event (or error envelope). */
function turn(ws: ResponsesWS, body: Record<string, unknown>): Promise<Event[]> {
  return new Promise((resolve) => {
    const events: Event[] = [];
    const onEvent = (event: Event) => {
      events.push(event);
      if (!TERMINAL.has(event.type)) return;
      ws.off("event", onEvent as never);
      resolve(events);
    };
    ws.on("event", onEvent as never);
    ws.send({ type: "response.create", ...body } as never);
  });
}

const finalResponse = (events: Event[]) => events.at(-1)!.response as { id: string; status: string; output: { type: string; content?: { text: string }[] }[] };

describe("Responses over a WebSocket", () => {
  const app = useRunApp();
  const open: { close(): Promise<void> }[] = [];
  const sockets: ResponsesWS[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.close({ code: 1000, reason: "test over" });
    for (const server of open.splice(0)) await server.close();
  });

  async function connect(): Promise<{ client: OpenAI; socket: () => ResponsesWS }> {
    const server = await listen(app().app);
    open.push(server);
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    return {
      client,
      socket: () => {
        const ws = new ResponsesWS(client);
        ws.on("error", () => undefined); // error envelopes are asserted from the events
        sockets.push(ws);
        return ws;
      },
    };
  }

  it("streams each turn's events as SSE would, and continues a store:false response on the same connection", async () => {
    const t = app();
    const { client, socket } = await connect();
    const ws = socket();
    t.ollama.script({ text: "Hello Ada." }, { text: "Your name is Ada." });
    const first = await turn(ws, { model: "gpt-4o", store: false, input: "My name is Ada." });
    expectEventsSchema(first);
    expect(first.map((e) => e.type)).toEqual(["response.created", "response.in_progress", ...itemEventTypes(2), "response.completed"]);
    const id = finalResponse(first).id;
    const second = await turn(ws, { model: "gpt-4o", store: false, previous_response_id: id, input: "What is my name?" });
    expectEventsSchema(second);
    expect(finalResponse(second).status).toBe("completed");
    expect(t.ollama.chatRequests[1]!.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Hello Ada." },
      { role: "user", content: "What is my name?" },
    ]);
    // Nothing of it was stored: over HTTP the response does not exist.
    await expect(client.responses.retrieve(id)).rejects.toThrow(/404/);
  });

  it("a store:false response another connection made is previous_response_not_found; the connection goes on", async () => {
    const t = app();
    const { socket } = await connect();
    const a = socket();
    t.ollama.script({ text: "one" }, { text: "two" });
    const made = finalResponse(await turn(a, { model: "gpt-4o", store: false, input: "hi" }));
    const b = socket();
    const [error] = await turn(b, { model: "gpt-4o", store: false, previous_response_id: made.id, input: "again" });
    expect(error).toMatchObject({ type: "error", status: 400, error: { code: "previous_response_not_found", param: "previous_response_id" } });
    const next = await turn(b, { model: "gpt-4o", store: false, input: "fresh start" });
    expect(finalResponse(next).status).toBe("completed");
  });

  it("a continuation that fails forgets the response it continued", async () => {
    const t = app();
    const { socket } = await connect();
    const ws = socket();
    t.ollama.script({ text: "one" });
    const made = finalResponse(await turn(ws, { model: "gpt-4o", store: false, input: "hi" }));
    const [bad] = await turn(ws, { model: "gpt-4o", store: false, previous_response_id: made.id, input: "x", tool_choice: { type: "function", name: "nope" } });
    expect(bad).toMatchObject({ type: "error", status: 400, error: { param: "tool_choice" } });
    const [evicted] = await turn(ws, { model: "gpt-4o", store: false, previous_response_id: made.id, input: "x" });
    expect(evicted).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
  });

  it("processes turns one at a time: a second response.create waits for the first to end", async () => {
    const t = app();
    const { socket } = await connect();
    const ws = socket();
    t.ollama.script({ chunks: ["slow", " one"], delayMs: 40 }, { text: "fast" });
    const events: Event[] = [];
    ws.on("event", ((e: Event) => events.push(e)) as never);
    const done = new Promise<void>((resolve) => ws.on("event", ((e: Event) => events.filter((x) => x.type === "response.completed").length === 2 && resolve()) as never));
    ws.send({ type: "response.create", model: "gpt-4o", input: "first" } as never);
    ws.send({ type: "response.create", model: "gpt-4o", input: "second" } as never);
    await done;
    const created = events.map((e, i) => [e.type, i] as const).filter(([type]) => type === "response.created").map(([, i]) => i);
    const firstCompleted = events.findIndex((e) => e.type === "response.completed");
    expect(created[1]).toBeGreaterThan(firstCompleted);
    expect(t.ollama.chatRequests.map((r) => r.messages.at(-1)!.content)).toEqual(["first", "second"]);
  });

  it("a connection that closes mid-turn cancels a store:false response (nobody could see it); a stored one goes on", async () => {
    const t = app();
    const { client, socket } = await connect();
    const slow = Array.from({ length: 100 }, (_, i) => ` w${i}`);
    t.ollama.script({ chunks: slow, delayMs: 10 });
    const unseen = socket();
    await new Promise<void>((resolve) => {
      unseen.on("event", ((e: Event) => e.type === "response.output_text.delta" && resolve()) as never);
      unseen.send({ type: "response.create", model: "gpt-4o", input: "talk", store: false } as never);
    });
    unseen.close({ code: 1000, reason: "leaving" });
    const atClose = t.ollama.chunksSent;
    await new Promise((r) => setTimeout(r, 300)); // 30 more chunks' time had the model call gone on
    expect(t.ollama.chunksSent - atClose).toBeLessThan(5);

    t.ollama.script({ chunks: ["kept", " all", " the", " same"], delayMs: 20 });
    const stored = socket();
    const id = await new Promise<string>((resolve) => {
      let created = "";
      stored.on("event", ((e: Event) => {
        if (e.type === "response.created") created = (e.response as { id: string }).id;
        if (e.type === "response.output_text.delta") resolve(created);
      }) as never);
      stored.send({ type: "response.create", model: "gpt-4o", input: "keep" } as never);
    });
    stored.close({ code: 1000, reason: "leaving" });
    await expect.poll(async () => (await client.responses.retrieve(id)).status, { timeout: 5000 }).toBe("completed");
    expect((await client.responses.retrieve(id)).output_text).toBe("kept all the same");
  });

  it("refuses turns beyond 16 waiting behind the one in progress", async () => {
    const t = app();
    const { socket } = await connect();
    const ws = socket();
    t.ollama.script({ chunks: ["slow"], delayMs: 300 }, ...Array.from({ length: 20 }, () => ({ text: "ok" })));
    const errors: Event[] = [];
    ws.on("event", ((e: Event) => e.type === "error" && errors.push(e)) as never);
    for (let i = 0; i < 20; i++) ws.send({ type: "response.create", model: "gpt-4o", input: `turn ${i}` } as never);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0]).toMatchObject({ status: 400, error: { code: "too_many_queued_turns" } });
  });

  it("a stored response continues from another connection", async () => {
    const t = app();
    const { socket } = await connect();
    t.ollama.script({ text: "Stored." }, { text: "Continued." });
    const made = finalResponse(await turn(socket(), { model: "gpt-4o", input: "remember me" }));
    const next = finalResponse(await turn(socket(), { model: "gpt-4o", previous_response_id: made.id, input: "and now?" }));
    expect(next.status).toBe("completed");
    expect(t.ollama.chatRequests[1]!.messages.map((m) => m.content)).toEqual(["remember me", "Stored.", "and now?"]);
  });

  it("refuses HTTP-only fields, other message types and text that is not JSON, naming what is wrong", async () => {
    app();
    const { socket } = await connect();
    const ws = socket();
    for (const field of ["stream", "background", "stream_options"]) {
      const [error] = await turn(ws, { model: "gpt-4o", input: "x", [field]: true });
      expect(error).toMatchObject({ type: "error", status: 400, error: { param: field } });
    }
    const errors: Event[] = [];
    const got = new Promise<void>((resolve) => ws.on("event", ((e: Event) => (errors.push(e), errors.length === 2 && resolve())) as never));
    ws.send({ type: "response.cancel" } as never);
    ws.sendRaw("{not json");
    await got;
    expect(errors).toMatchObject([
      { type: "error", status: 400, error: { param: "type" } },
      { type: "error", status: 400, error: { code: "invalid_json" } },
    ]);
  });
});

describe("a WebSocket connection's time limit", () => {
  const app = useRunApp({ WEBSOCKET_CONNECTION_LIMIT_SECONDS: "1" });

  it("ends with websocket_connection_limit_reached, then the connection closes", async () => {
    const server = await listen(app().app);
    try {
      const ws = new ResponsesWS(new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 }));
      ws.on("error", () => undefined);
      const got: Event[] = [];
      ws.on("event", ((e: Event) => got.push(e)) as never);
      const closed = new Promise<number>((resolve) => ws.socket.on("close", (code: number) => resolve(code)));
      expect(await closed).toBe(1000);
      expect(got).toMatchObject([{ type: "error", status: 400, error: { code: "websocket_connection_limit_reached" } }]);
    } finally {
      await server.close();
    }
  });
  it("a store:false response in progress when the limit is reached is cancelled with the connection", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const ws = new ResponsesWS(new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 }));
      ws.on("error", () => undefined);
      const closed = new Promise<void>((resolve) => ws.socket.on("close", () => resolve()));
      t.ollama.script({ chunks: Array.from({ length: 400 }, (_, i) => ` w${i}`), delayMs: 10 }); // about 4 s
      await new Promise<void>((resolve) => ws.socket.on("open", () => resolve()));
      ws.send({ type: "response.create", model: "gpt-4o", input: "talk", store: false } as never);
      await closed;
      const atClose = t.ollama.chunksSent;
      await new Promise((r) => setTimeout(r, 300));
      expect(t.ollama.chunksSent - atClose).toBeLessThan(5);
      expect(t.ollama.chunksSent).toBeLessThan(200);
    } finally {
      await server.close();
    }
  });
});

const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-ws-keys-"));
const KEYS_FILE = path.join(keysDir, "keys.json");
fs.writeFileSync(KEYS_FILE, JSON.stringify({ keys: [{ name: "alice", sha256: sha256Hex("sk-alice"), project: "a" }, { name: "bob", sha256: sha256Hex("sk-bob"), project: "b" }] }));
afterAll(() => fs.rmSync(keysDir, { recursive: true, force: true }));

describe("the WebSocket upgrade passes the /v1 guards", () => {
  const app = useRunApp({ API_KEYS_FILE: KEYS_FILE });

  /** The HTTP status the upgrade was answered with (101 when it was accepted). */
  function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on("open", () => (ws.close(), resolve(101)));
      ws.on("unexpected-response", (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)));
      ws.on("error", () => undefined);
    });
  }

  it("a key revoked while its connection is open: the next turn is refused with invalid_api_key and the connection closes", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const { row, value } = t.services.apiKeys.create("socket", "default", false);
      const ws = new ResponsesWS(new OpenAI({ baseURL: server.baseURL, apiKey: value, maxRetries: 0 }));
      ws.on("error", () => undefined);
      const closed = new Promise<number>((resolve) => ws.socket.on("close", (code: number) => resolve(code)));
      t.ollama.script({ text: "Before." });
      expect(finalResponse(await turn(ws, { model: "gpt-4o", input: "one" })).status).toBe("completed");
      expect(t.services.apiKeys.revoke(row.id, { admin: false, project: "default" })).toBe(true);
      const [refused] = await turn(ws, { model: "gpt-4o", input: "two" });
      expect(refused).toMatchObject({ type: "error", status: 401, error: { code: "invalid_api_key" } });
      expect(await closed).toBe(1008);
      expect(t.ollama.chatRequests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("no key is 401, another site's Origin 403; a key's connection sees only its project's responses", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const url = `${server.baseURL.replace("http:", "ws:")}/responses`;
      expect(await upgradeStatus(url, {})).toBe(401);
      expect(await upgradeStatus(url, { authorization: "Bearer sk-alice", origin: "https://evil.example" })).toBe(403);
      expect(await upgradeStatus(url, { authorization: "Bearer sk-alice" })).toBe(101);

      const as = (key: string) => {
        const ws = new ResponsesWS(new OpenAI({ baseURL: server.baseURL, apiKey: key, maxRetries: 0 }));
        ws.on("error", () => undefined);
        return ws;
      };
      const alice = as("sk-alice");
      const bob = as("sk-bob");
      t.ollama.script({ text: "Alice's secret." });
      const made = finalResponse(await turn(alice, { model: "gpt-4o", input: "my secret" }));
      const [error] = await turn(bob, { model: "gpt-4o", previous_response_id: made.id, input: "tell me" });
      expect(error).toMatchObject({ type: "error", error: { code: "previous_response_not_found" } });
      alice.close({ code: 1000, reason: "done" });
      bob.close({ code: 1000, reason: "done" });
    } finally {
      await server.close();
    }
  });
});
