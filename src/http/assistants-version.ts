import { ApiError } from "../errors.js";
import type { AssistantService } from "../objects/assistant-service.js";
import { V1View } from "../objects/v1-view.js";
import type { Presenter } from "./edge-bindings.js";

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

/** The paths whose answers have a v1 wire format: the assistants and threads families (runs, messages, steps). */
export function hasWireVersions(path: string): boolean {
  return isUnder(path, "/v1/assistants") || isUnder(path, "/v1/threads");
}

function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47); // "/"
}

export interface AssistantsVersion {
  /** The presenter a request's `OpenAI-Beta` asks for; null: v2, the stored format. Throws 400 for an unknown version. */
  presenterFor(request: Request): Presenter | null;
  /** A JSON answer rewritten by `presenter`; other answers (errors, one shape in both) pass unchanged. */
  present(res: Response, presenter: Presenter): Promise<Response>;
}

/**
 * `OpenAI-Beta: assistants=v1` requests are answered in the v1 wire format (objects/v1-view.ts): the edge
 * rewrites JSON answers (present), event streams are rewritten event by event (http/sse.ts, through the
 * bindings' `present`). Requests need no rewriting: the v2 endpoints also take v1's `retrieval` tool and
 * `file_ids`.
 */
export function assistantsVersion(deps: { assistants: Pick<AssistantService, "attachedFiles" | "get">; runExpirySeconds: number }): AssistantsVersion {
  const { assistants, runExpirySeconds } = deps;
  const view = new V1View({
    assistantFileIds: (a) => assistants.attachedFiles(a).map((f) => f.id),
    findAssistant: (id) => assistants.get(id),
    runExpirySeconds,
  });
  const v1: Presenter = (value) => view.present(value);
  return {
    presenterFor: (request) => {
      const beta = request.headers.get("openai-beta");
      return beta === null || requestedVersion(beta) === "v2" ? null : v1;
    },
    present: async (res, presenter) => {
      if (!res.ok || !res.headers.get("content-type")?.startsWith("application/json")) return res;
      const body = JSON.stringify(presenter(await res.json()));
      const headers = new Headers(res.headers); // the route's own headers stay (openai-poll-after-ms)
      headers.delete("content-length");
      return new Response(body, { status: res.status, headers });
    },
  };
}
