import { timingSafeEqual, createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";

/** Bearer-token check for every /v1 route when API_KEY is set. Compares digests so timing reveals nothing. */
export function requireApiKey(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) {
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        null,
        null,
      );
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new ApiError(401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
