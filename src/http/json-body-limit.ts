import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";

/**
 * Holds a request body to `maxBytes`: over the limit → 413 in OpenAI's shape, before the route reads it. A
 * declared Content-Length (what the SDKs send) is checked as it stands. A body of unknown length (chunked) is
 * read here up to the limit, and what was read is handed to the route as Hono's cached body text, which
 * `c.req.text()` (readJson) answers from: read once, with no second Request around a copy of it (hono's
 * bodyLimit builds one, a WHATWG Request and body stream per request: a tenth of an in-process response).
 */
export function jsonBodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    const body = raw.body;
    if (body === null) return next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      if (Number.parseInt(declared, 10) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    const text = await readCapped(body, maxBytes);
    // Hono keeps body reads as promises (its type says string): `text()` and `json()` both answer from this one.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
    return next();
  };
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `Request body too large: the limit is ${maxBytes} bytes.`, "invalid_request_error", null, "request_too_large");
}

/** The body as UTF-8 text (a BOM dropped, as Request.text() does); throws 413 once past `maxBytes`. */
async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}
