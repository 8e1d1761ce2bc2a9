import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerOptions as HttpServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import type { Socket } from "node:net";

/** How long a closing connection keeps reading what the client is still sending before it is dropped. */
export const LINGER_MS = 2000;

const lingering = Symbol("lingeringClose");

/**
 * Wraps a request listener so that a connection the server closes is closed in stages (RFC 9112 §9.6): the
 * answer, then our FIN, then we keep reading (and dropping) what the client still sends, and close once it
 * has closed too or `lingerMs` has passed.
 *
 * Why: Node closes a `Connection: close` socket as soon as the answer is flushed, whatever of the request body
 * it has not read yet. Bytes that then arrive make the kernel answer with a reset, and a reset makes the
 * client's kernel drop the answer it had already received but not yet read: a client that sends a body nobody
 * reads (a GET with a body, an upload refused early for its content type) gets no answer at all, depending on
 * timing. Lingering is bounded in time, so a client that never stops sending costs one socket for `lingerMs`.
 */
export function withLingeringClose(listener: RequestListener, lingerMs = LINGER_MS): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket & { [lingering]?: true };
    if (socket[lingering] !== true) {
      socket[lingering] = true;
      socket.destroySoon = () => closeInStages(socket, lingerMs);
    }
    listener(req, res);
  };
}

function closeInStages(socket: Socket, lingerMs: number): void {
  if (socket.destroyed) return;
  if (socket.readableEnded) {
    // The client is done sending: nothing can turn into a reset, close as Node would.
    if (socket.writable) socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
    return;
  }
  if (socket.writable) socket.end();
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, lingerMs);
  timer.unref();
  socket.once("end", close);
  socket.once("close", () => clearTimeout(timer));
  socket.resume(); // the HTTP parser drops an unread body; keep the bytes flowing to it
}

// serve() calls its `createServer` as (serverOptions, listener); typed as Node's own to fit its option.
/** `createServer` for @hono/node-server's `serve`: plain HTTP with lingering close. */
export const createLingeringHttpServer = ((options: HttpServerOptions, listener: RequestListener) =>
  createHttpServer(options, withLingeringClose(listener))) as typeof createHttpServer;

/** `createServer` for @hono/node-server's `serve`: HTTPS with lingering close. */
export const createLingeringHttpsServer = ((options: HttpsServerOptions, listener: RequestListener) =>
  createHttpsServer(options, withLingeringClose(listener))) as typeof createHttpsServer;
