/** A raw HTTP/1.1 client for bytes no fetch implementation would send: broken framing, encodings, headers. */
import net from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawResult {
  /** Every response in the byte stream (several when requests were pipelined). */
  responses: RawResponse[];
  /** Bytes that did not parse as a response (normally empty). */
  rest: string;
  /** The connection was still open when we gave up waiting. */
  timedOut: boolean;
}

/**
 * Writes `bytes` to a fresh connection, optionally half-closes (the client sends nothing more), and collects
 * what comes back until the server closes or `timeoutMs` passes.
 */
export function rawRequest(port: number, bytes: Uint8Array | string, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, opts.timeoutMs ?? 3000);
    socket.on("connect", () => {
      socket.write(bytes);
      if (opts.halfClose) socket.end();
    });
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", () => undefined); // a reset after the server answered is fine
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ ...parseResponses(Buffer.concat(chunks)), timedOut });
    });
  });
}

/** Splits a byte stream into HTTP responses (Content-Length, chunked, or read-to-close bodies). */
export function parseResponses(data: Buffer): Omit<RawResult, "timedOut"> {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf("\r\n\r\n", at);
    if (headEnd === -1) break;
    const head = data.subarray(at, headEnd).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "");
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", bodyStart);
        if (lineEnd === -1) break;
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString("latin1"), 16);
        bodyStart = lineEnd + 2;
        if (!(size > 0)) {
          bodyStart += 2;
          break;
        }
        parts.push(data.subarray(bodyStart, bodyStart + size));
        bodyStart += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      body = data.subarray(bodyStart, bodyStart + Number(headers["content-length"]));
      bodyStart += body.length;
    } else {
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status: Number(status[1]), headers, body: body.toString("utf8") });
    at = bodyStart;
  }
  return { responses, rest: data.subarray(at).toString("latin1") };
}

/** A request's bytes: request line, headers (Host, Connection: close and Content-Length added unless given), body. */
export function httpBytes(method: string, target: string, headers: Record<string, string | number>, body: Uint8Array | string = ""): Uint8Array {
  const bodyBytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const framed = Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k));
  const length: Record<string, number> = framed || bodyBytes.length === 0 ? {} : { "Content-Length": bodyBytes.length };
  const all: Record<string, string | number> = { Host: "127.0.0.1", Connection: "close", ...length, ...headers };
  const head = `${method} ${target} HTTP/1.1\r\n` + Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  return Buffer.concat([Buffer.from(head, "latin1"), bodyBytes]);
}
