import { upgradeWebSocket } from "@hono/node-server";
import type { WSContext } from "hono/ws";
import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { WebSocketServer, WebSocket } from "ws";
import { ResponseCreateParams } from "../api/responses.js";
import { ApiError, badRequest } from "../errors.js";
import type { Principal } from "../objects/api-keys.js";
import type { ConnectionMemory } from "../responses/response-events.js";
import type { ResponseService } from "../responses/response-service.js";
import { ServerShutdown } from "../runs/state.js";
import { inProject } from "../store/project-scope.js";
import { parseWith } from "./validation.js";
import { log } from "../log.js";
import { principalOf } from "./edge-bindings.js";

/** Turns one connection may have waiting behind the one in progress; more are refused (they hold memory). */
const MAX_QUEUED_TURNS = 16;

/** Fields of the HTTP transport that a WebSocket `response.create` must not carry. */
const HTTP_ONLY_FIELDS = ["stream", "stream_options", "background"] as const;

/**
 * The `ws` server the HTTP server hands upgrades to (@hono/node-server's `websocket` option). Frames over
 * `maxPayload` bytes close the connection (1009), as bodies over MAX_JSON_BODY_BYTES are refused over HTTP.
 */
export function webSocketServer(maxPayload: number): { server: WebSocketServer } {
  return { server: new LazyWebSocketServer(maxPayload) as unknown as WebSocketServer };
}

/**
 * What @hono/node-server uses of a `ws` server in noServer mode (`options.noServer`, `handleUpgrade`, its
 * "headers" event, `close`; it emits "connection" on it itself), with `ws` loaded by the first upgrade instead
 * of at boot: some 2.5 MB of heap an idle server does not need. CommonJS, so it loads synchronously here.
 */
class LazyWebSocketServer extends EventEmitter {
  readonly options = { noServer: true };
  private real: WebSocketServer | null = null;

  constructor(private readonly maxPayload: number) {
    super();
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void {
    if (this.real === null) {
      const ws = createRequire(import.meta.url)("ws") as typeof import("ws");
      this.real = new ws.WebSocketServer({ noServer: true, maxPayload: this.maxPayload });
      this.real.on("headers", (headers, req) => this.emit("headers", headers, req));
    }
    this.real.handleUpgrade(request, socket, head, done);
  }

  close(): void {
    this.real?.close();
  }
}

/**
 * The Responses API over a WebSocket at `GET /v1/responses` (Open Responses, "WebSocket Transport"): each
 * `{"type":"response.create", ...}` message is one response, processed one at a time, its events sent as the
 * SSE stream would carry them; an error is `{"type":"error","status",...,"error":{...}}`. The upgrade request
 * passes every /v1 guard (Host, Origin, key), and the whole connection runs in the key's project.
 */
export function responsesSocket(deps: { responses: ResponseService; connectionLimitMs: number; stillValid: (principal: Principal) => boolean }) {
  return upgradeWebSocket((c) => {
    const principal = principalOf(c);
    let session: SocketSession | null = null;
    return {
      onOpen: (_event, ws) => {
        session = new SocketSession(ws, (fn) => inProject(principal.project, fn), deps.responses, deps.connectionLimitMs, () => deps.stillValid(principal));
      },
      onMessage: (event, _ws) => session?.receive(event.data),
      onClose: () => session?.close(),
    };
  });
}

/** One connection: its turns in order, what it remembers between them, and its time limit. */
class SocketSession {
  private turns: Promise<void> = Promise.resolve();
  private queued = 0;
  /** The events of the turn in progress, closed when the connection closes (the response itself goes on). */
  private current: { close(): void } | null = null;
  private readonly memory: ConnectionMemory = { last: null };
  private readonly limit: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly ws: WSContext,
    private readonly inScope: <T>(fn: () => T) => T,
    private readonly responses: ResponseService,
    limitMs: number,
    /** Asked before each turn: a key revoked since the upgrade ends the connection. */
    private readonly keyStillValid: () => boolean,
  ) {
    this.limit = setTimeout(() => this.expire(), limitMs);
    this.limit.unref();
  }

  receive(data: unknown): void {
    if (this.queued >= MAX_QUEUED_TURNS) {
      void this.send({ type: "error", status: 400, error: { message: `More than ${MAX_QUEUED_TURNS} turns are waiting on this connection: wait for a response to end before sending more.`, type: "invalid_request_error", param: null, code: "too_many_queued_turns" } });
      return;
    }
    this.queued++;
    // Sequential, as the specification requires: the next turn starts once this one's stream has ended.
    this.turns = this.turns.then(async () => {
      this.queued--;
      await this.turn(data);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.limit);
    this.current?.close();
  }

  private async turn(data: unknown): Promise<void> {
    if (this.closed) return;
    if (!this.keyStillValid()) {
      this.closed = true;
      await this.send({ type: "error", status: 401, error: { message: "The API key this connection was opened with has been revoked.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      this.ws.close(1008, "API key revoked");
      return;
    }
    let previous: string | null | undefined;
    try {
      const params = this.parse(data);
      previous = params.previous_response_id;
      const events = await this.inScope(() => this.responses.createStream(params, this.memory));
      this.current = events;
      if (this.closed) events.close();
      const socket = this.ws.raw as WebSocket;
      // A client that stops reading stalls the sends below; once its queue overflows it is disconnected.
      const hangUp = () => socket.terminate();
      events.dropped.addEventListener("abort", hangUp, { once: true });
      try {
        for (let step = await events.next(); !step.done && !this.closed; step = await events.next()) await this.send(step.value);
      } finally {
        events.dropped.removeEventListener("abort", hangUp);
        // Leaving early (the connection closed or reached its time limit) is this reader leaving the response.
        events.close();
        this.current = null;
      }
    } catch (err) {
      // A continuation that fails forgets the response it continued (the specification's eviction rule).
      if (previous && this.memory.last?.id === previous) this.memory.last = null;
      const error = err instanceof ApiError ? err : err instanceof ServerShutdown ? new ApiError(503, err.message, "server_error") : new ApiError(500, "The server had an error while processing your request.", "server_error");
      if (!(err instanceof ApiError) && !(err instanceof ServerShutdown)) log.error({ err }, "WebSocket response failed");
      await this.send({ type: "error", status: error.status, error: error.toJSON().error });
    }
  }

  /** A `response.create` message as a create request; anything else is a 400 naming what is wrong. */
  private parse(data: unknown): ResponseCreateParams {
    if (typeof data !== "string") throw badRequest("Messages must be JSON text frames.", null, "invalid_message");
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      throw badRequest("The message is not valid JSON.", null, "invalid_json");
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) throw badRequest("A message must be a JSON object.", null, "invalid_message");
    const { type, ...body } = message as Record<string, unknown>;
    if (type !== "response.create") throw badRequest(`Unknown message type ${JSON.stringify(type)}: send {"type": "response.create", ...}.`, "type", "invalid_value");
    const httpOnly = HTTP_ONLY_FIELDS.find((field) => field in body);
    if (httpOnly) throw badRequest(`'${httpOnly}' belongs to the HTTP transport and is not sent over a WebSocket.`, httpOnly, "unknown_parameter");
    return parseWith(ResponseCreateParams, body);
  }

  /** Sends one message; resolves once it was written out, so a client that stops reading holds the turn back. */
  private send(message: unknown): Promise<void> {
    const socket = this.ws.raw as WebSocket;
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => socket.send(JSON.stringify(message), () => resolve()));
  }

  private expire(): void {
    void this.send({
      type: "error",
      status: 400,
      error: { message: "This WebSocket connection reached its time limit: open a new connection and continue with previous_response_id.", type: "invalid_request_error", param: null, code: "websocket_connection_limit_reached" },
    }).finally(() => this.ws.close(1000, "connection limit reached"));
    this.closed = true;
  }
}
