import { HTTPException } from "hono/http-exception";
import { ApiError } from "../errors.js";
import { log } from "../log.js";
import { dataDirectoryFull, isDiskFull } from "./storage-errors.js";

/** An error answer's parts: Hono's onError sends them through its context, the edge as a Response. */
export interface ErrorAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * The answer to an error thrown while handling a request, in OpenAI's shape: an ApiError as it says, a
 * client-side HTTPException as 4xx, a client gone mid-body as 400, a full disk as 507; anything else is a bug,
 * logged with the request id, and a 500 that says nothing of the server's insides.
 */
export function errorAnswer(err: Error, request: Request, requestId: string | undefined): ErrorAnswer {
  if (err instanceof ApiError) return json(err, err.status);
  if (err instanceof HTTPException && err.status < 500) return json(new ApiError(err.status, err.message || "Bad request"), err.status);
  if (clientWentAway(request, err)) {
    // Nobody will read this answer; it is the client's fault, not a server error worth logging.
    return json(new ApiError(400, "The client closed the connection before the request body was complete."), 400);
  }
  if (isDiskFull(err)) return json(dataDirectoryFull(), 507, { "x-should-retry": "false" }); // retrying will not make room
  log.error({ err, request_id: requestId, method: request.method, path: new URL(request.url).pathname }, "request failed");
  return json(new ApiError(500, "The server had an error while processing your request.", "server_error"), 500);
}

function json(err: ApiError, status: number, headers: Record<string, string> = {}): ErrorAnswer {
  return { status, body: JSON.stringify(err.toJSON()), headers: { "content-type": "application/json", ...headers } };
}

/** Reading the body failed because the peer hung up mid-body (Node's "aborted", ECONNRESET). */
function clientWentAway(req: Request, err: Error): boolean {
  return req.signal.aborted && (err as { code?: unknown }).code === "ECONNRESET";
}
