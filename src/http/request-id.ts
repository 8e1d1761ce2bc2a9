import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "x-request-id";
const MAX_CLIENT_ID = 255;
const UNSAFE_ID = /[^\w\-=]/;

/**
 * The request's id, which its answer carries as `x-request-id` (the SDKs surface it as `_request_id`; log
 * lines carry it): the client's own `x-request-id` when it sent a sane one, else a fresh UUID.
 */
export function requestIdOf(request: Request): string {
  const sent = request.headers.get(REQUEST_ID_HEADER);
  return sent !== null && sent !== "" && sent.length <= MAX_CLIENT_ID && !UNSAFE_ID.test(sent) ? sent : randomUUID();
}
