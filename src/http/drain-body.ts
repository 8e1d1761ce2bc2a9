/**
 * After the answer is ready: reads and discards a request body nobody read (a DELETE sent with a body, a 404, a
 * 413 for a body over the limit, a request the edge refused), so that the client gets its answer and, where it
 * can, keeps its connection.
 *
 * Why: once anything has looked at `c.req.raw.body` (the JSON body limit does, for every non-GET request), the
 * node adapter's body stream holds the socket paused under back-pressure. After the answer the adapter's own
 * clean-up cannot drain past that and, 500 ms on, closes the socket: the next request on the keep-alive
 * connection finds it gone, and a client still sending its body (anything slower than loopback, or one that
 * sends it all before reading) gets a broken pipe or a reset instead of the answer.
 *
 * A body within `maxBytes` (by its Content-Length) is read to its end before the answer goes out (the promise
 * returned; undefined: nothing to wait for): the adapter then has nothing to clean up and the connection stays
 * open. A longer one, or one of unknown length, is read in the background while the answer goes out; the
 * adapter still closes the connection after at most 500 ms or 64 MiB, but the client is not stopped mid-send
 * before then and can read the answer. A body some other reader stopped in (the body limit, over the limit
 * while counting a chunked body) counts as used and is left to the adapter.
 */
export function drainUnreadBody(request: Request, maxBytes: number): Promise<void> | undefined {
  if (request.method === "GET" || request.method === "HEAD" || request.bodyUsed) return undefined;
  const declared = request.headers.get("content-length");
  if (declared === "0" || (declared === null && !request.headers.has("transfer-encoding"))) return undefined; // no body
  const body = request.body;
  if (body === null || body.locked) return undefined;
  if (declared !== null && Number(declared) <= maxBytes) return discard(body);
  void discard(body);
  return undefined;
}

/** Reads `body` to its end, dropping the bytes. A client that hangs up mid-body ends it too. */
async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  try {
    while (!(await reader.read()).done);
  } catch {
    // the peer went away mid-body (or the adapter closed the connection): nobody is left to answer
  } finally {
    reader.releaseLock();
  }
}
