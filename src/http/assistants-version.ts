import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";
import type { AssistantService } from "../objects/assistant-service.js";
import { V1View } from "../objects/v1-view.js";

/** Turns an answer body or an event's data into the wire format the request asked for. */
export type Presenter = (value: unknown) => unknown;

declare module "hono" {
  interface ContextVariableMap {
    /** Set when the request asked for another wire format than the stored one (sse.ts applies it to events). */
    present: Presenter;
  }
}

/**
 * The Assistants API version a request names in `OpenAI-Beta` (a comma-separated list, e.g.
 * `assistants=v1`); none named: v2, the stored format. An unknown version is refused as the hosted API did.
 */
export function requestedVersion(header: string | undefined): "v1" | "v2" {
  for (const entry of (header ?? "").split(",")) {
    const [name = "", value = ""] = entry.split("=", 2).map((part) => part.trim());
    if (name.toLowerCase() !== "assistants") continue;
    if (value === "v1" || value === "v2") return value;
    throw new ApiError(
      400,
      `Invalid 'OpenAI-Beta' header: 'assistants=${value}' is no Assistants API version. Send 'assistants=v2' (or 'assistants=v1' for the v1 wire format).`,
      "invalid_request_error",
      null,
      "invalid_beta",
    );
  }
  return "v2";
}

/**
 * Answers `OpenAI-Beta: assistants=v1` requests in the v1 wire format (objects/v1-view.ts): JSON answers are
 * rewritten here, event streams event by event through `present` (http/sse.ts). Requests need no rewriting:
 * the v2 endpoints also take v1's `retrieval` tool and `file_ids`. Errors pass unchanged (one shape in both).
 */
export function assistantsVersion(deps: { assistants: Pick<AssistantService, "attachedFiles" | "get">; runExpirySeconds: number }): MiddlewareHandler {
  const { assistants, runExpirySeconds } = deps;
  const view = new V1View({
    assistantFileIds: (a) => assistants.attachedFiles(a).map((f) => f.id),
    findAssistant: (id) => assistants.get(id),
    runExpirySeconds,
  });
  const v1: Presenter = (value) => view.present(value);
  return async (c, next) => {
    if (requestedVersion(c.req.header("openai-beta")) === "v2") return next();
    c.set("present", v1);
    await next();
    const res = c.res;
    if (!res.ok || !res.headers.get("content-type")?.startsWith("application/json")) return;
    const body = v1(await res.json());
    c.res = new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
}
