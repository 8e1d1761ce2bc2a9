/**
 * A request body the route never reads (a DELETE sent with a body; a body over the limit, refused by its
 * Content-Length) must not cost the client its answer or its keep-alive connection. The real server process,
 * spoken to over one raw socket: fetch clients would hide what happens to the connection.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { parseResponses } from "../reliability/support/raw-http.js";

const BODY_BYTES = 300_000;
const JSON_LIMIT = 1_000_000;

/** One keep-alive connection: write bytes (optionally trickled), collect what comes back, see errors. */
class Connection {
  private readonly socket: net.Socket;
  private received = Buffer.alloc(0);
  error: string | null = null;
  closed = false;
  private readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.ready = new Promise((resolve) => this.socket.once("connect", () => resolve()));
    this.socket.on("data", (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    this.socket.on("error", (err: NodeJS.ErrnoException) => (this.error ??= err.code ?? err.message));
    this.socket.on("close", () => (this.closed = true));
  }

  /** Writes `bytes` in `chunk`-sized pieces, `gapMs` apart; resolves once the last is handed to the kernel. */
  async send(bytes: Buffer | string, chunk = Infinity, gapMs = 0): Promise<void> {
    await this.ready;
    const data = Buffer.from(bytes);
    for (let at = 0; at < data.length && !this.socket.destroyed; at += chunk) {
      await new Promise<void>((resolve) => this.socket.write(data.subarray(at, at + chunk), () => resolve()));
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  }

  /** Waits until `n` complete responses arrived (or the connection closed, or `timeoutMs` passed). */
  async responses(n: number, timeoutMs = 10_000): Promise<ReturnType<typeof parseResponses>["responses"]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { responses } = parseResponses(this.received);
      if (responses.length >= n || this.closed || Date.now() > deadline) return responses;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const head = (method: string, url: string, contentLength: number) =>
  `${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;
const HEALTH = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

describe("a request body the route does not read (real server, raw socket)", () => {
  let dataDir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-unread-body-"));
    // No model is needed; Ollama's address is one that refuses at once.
    server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", MAX_JSON_BODY_BYTES: String(JSON_LIMIT) });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function createAssistant(): Promise<string> {
    const res = await fetch(`${server.baseURL}/assistants`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o" }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  it("a DELETE with a 300 KB body sent slowly is answered, and the same connection serves the next request", async () => {
    const id = await createAssistant();
    const conn = new Connection(server.port);
    try {
      // 16 KB every 40 ms: about 0.75 s for the body, longer than the node adapter's 500 ms clean-up window.
      await conn.send(head("DELETE", `/v1/assistants/${id}`, BODY_BYTES) + "x".repeat(BODY_BYTES), 16_384, 40);
      const [deleted] = await conn.responses(1);
      expect(deleted?.status).toBe(200);
      expect(JSON.parse(deleted!.body)).toEqual({ id, object: "assistant.deleted", deleted: true });
      await conn.send(HEALTH);
      const all = await conn.responses(2);
      expect(all.map((r) => r.status)).toEqual([200, 200]);
      expect(conn.error).toBeNull();
      expect(conn.closed).toBe(false);
    } finally {
      conn.close();
    }
  }, 30_000);

  it("after a DELETE whose 300 KB body arrived at once, the keep-alive connection still works a second later", async () => {
    const conn = new Connection(server.port);
    try {
      await conn.send(head("DELETE", "/v1/assistants/asst_doesnotexist000000000000", BODY_BYTES) + "x".repeat(BODY_BYTES));
      const [missing] = await conn.responses(1);
      expect(missing?.status).toBe(404);
      expect(missing?.headers["connection"]).toBe("keep-alive");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(conn.closed).toBe(false);
      await conn.send(HEALTH);
      expect((await conn.responses(2)).map((r) => r.status)).toEqual([404, 200]);
      expect(conn.error).toBeNull();
    } finally {
      conn.close();
    }
  }, 30_000);

  it("a client sending a body over the limit in full before it reads gets to send it, and gets the 413", async () => {
    const size = 8 * JSON_LIMIT; // refused by its Content-Length; well under the adapter's 64 MiB drain cap
    const conn = new Connection(server.port);
    try {
      await conn.send(head("POST", "/v1/assistants", size) + "x".repeat(size));
      expect(conn.error).toBeNull(); // not reset or broken mid-send
      const [refused] = await conn.responses(1);
      expect(refused?.status).toBe(413);
      expect((JSON.parse(refused!.body) as { error: { code: string } }).error.code).toBe("request_too_large");
    } finally {
      conn.close();
    }
  }, 30_000);
});
