import { Hono, type Context } from "hono";
import { ListQuery } from "../api/common.js";
import { z } from "zod";
import { CompactParams, InputTokensParams, RESPONSE_INCLUDES, ResponseCreateParams } from "../api/responses.js";
import type { Principal } from "../objects/api-keys.js";
import type { ResponseEvents } from "../responses/response-events.js";
import type { ResponseService } from "../responses/response-service.js";
import { listPage, listQuery } from "./list.js";
import { sseResponse, type EventSource } from "./sse.js";
import { responsesSocket } from "./responses-socket.js";
import { parseWith, readJson } from "./validation.js";

const IncludeQuery = z.object({ include: z.array(z.enum(RESPONSE_INCLUDES)) });
/** GET's `stream` and `starting_after` (query strings: "true"/"false", a sequence number). */
const RetrieveQuery = z.object({
  stream: z.enum(["true", "false"]).optional(),
  starting_after: z.coerce.number().int().min(-1).optional(),
});

/** `include[]=…` on GET, validated against what is served. */
export function includes(c: Context): string[] {
  const raw = c.req.queries("include[]") ?? c.req.queries("include") ?? [];
  return parseWith(IncludeQuery, { include: raw }).include;
}

export interface ResponsesRouterDeps {
  responses: ResponseService;
  /** A WebSocket connection's lifetime (WEBSOCKET_CONNECTION_LIMIT_SECONDS). */
  socketLimitMs: number;
  /** Whether the key a connection opened with still holds (not revoked since). */
  stillValid: (principal: Principal) => boolean;
}

/** Mounted at /v1/responses. */
export function responsesRouter(s: ResponsesRouterDeps): Hono {
  const app = new Hono();

  // WebSocket mode: an upgrade request here becomes a connection of response.create turns (responses-socket.ts).
  app.get("/", responsesSocket({ responses: s.responses, connectionLimitMs: s.socketLimitMs, stillValid: s.stillValid }));

  app.post("/", async (c) => {
    const p = await readJson(c, ResponseCreateParams);
    if (p.stream) return sseResponse(c, asEventSource(await s.responses.createStream(p)), { doneEvent: null });
    return c.json(await s.responses.create(p));
  });

  app.post("/input_tokens", async (c) => c.json(await s.responses.inputTokens(await readJson(c, InputTokensParams))));
  app.post("/compact", async (c) => c.json(await s.responses.compact(await readJson(c, CompactParams))));

  app.get("/:response_id", (c) => {
    const id = c.req.param("response_id");
    const q = parseWith(RetrieveQuery, { stream: c.req.query("stream"), starting_after: c.req.query("starting_after") });
    if (q.stream === "true") return sseResponse(c, asEventSource(s.responses.streamStored(id, q.starting_after, includes(c))), { doneEvent: null });
    return c.json(s.responses.get(id, includes(c)));
  });
  app.post("/:response_id/cancel", async (c) => c.json(await s.responses.cancel(c.req.param("response_id"))));
  app.delete("/:response_id", (c) => c.json(s.responses.delete(c.req.param("response_id"))));

  app.get("/:response_id/input_items", (c) => {
    const q = listQuery(c, ListQuery);
    return c.json(listPage(s.responses.inputItems(c.req.param("response_id"), q, includes(c)), q));
  });

  return app;
}

/** Responses events are named by their `type` (`event:` equals it) and carry themselves as data. */
function asEventSource(events: ResponseEvents): EventSource {
  return {
    next: async (signal) => {
      const step = await events.next(signal);
      return step.done ? step : { done: false, value: { event: step.value.type, data: step.value } };
    },
    ready: () => {
      const event = events.ready();
      return event === undefined ? undefined : { event: event.type, data: event };
    },
    close: () => events.close(),
    dropped: events.dropped,
  };
}
