import type { Duplex } from "node:stream";
import { ApiError } from "../errors.js";

/** Parser error codes that are not "bad request" (names from llhttp and Node's lib/_http_server.js). */
const STATUS_BY_CODE: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "The request headers are too large."],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "The chunk extensions of the request body are too large."],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "The request was not received in time."],
};

/**
 * Node's HTTP parser answers bytes it cannot parse (broken chunked encoding, bad header bytes, oversized
 * headers, a body cut short) itself, with an empty body. This answers them in OpenAI's error shape instead,
 * under the same conditions as Node's default (lib/_http_server.js socketOnError): only when the socket is
 * writable and no response on it has started, and never to a peer that reset the connection.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // `_httpMessage` is the in-flight response Node's own default handler checks; there is no public accessor.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent && err.code !== "ECONNRESET") {
    const [status, message] = STATUS_BY_CODE[err.code ?? ""] ?? [400, `The request could not be parsed as HTTP/1.1 (${err.code ?? "parse error"}).`];
    const body = JSON.stringify(new ApiError(status, message, "invalid_request_error", null, "malformed_http").toJSON());
    socket.write(
      `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Error"}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
