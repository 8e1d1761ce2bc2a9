/**
 * TLS_CERT_FILE / TLS_KEY_FILE: the real server process (src/main.ts) with a self-signed certificate made by
 * openssl in the test. It speaks HTTPS only (a plaintext request gets no HTTP answer), TLS 1.2 at the least,
 * the official SDK works against it once the certificate is trusted, and bad files refuse the start.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startServer, type ServerProcess } from "../helpers/server-process.js";
import { makeSelfSignedCert, type TestCert } from "../helpers/tls-cert.js";

const run = promisify(execFile);
const KEY = "sk-tls-contract";

/** The openai SDK in a child process trusting `ca` via NODE_EXTRA_CA_CERTS (as a user's own client would). */
const SDK_SCRIPT = `
import OpenAI from "openai";
const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: process.env.KEY, maxRetries: 0 });
try {
  const created = await client.beta.assistants.create({ model: "gpt-4o", name: "Over TLS", instructions: "hi" });
  const retrieved = await client.beta.assistants.retrieve(created.id);
  console.log(JSON.stringify({ created, retrieved }));
} catch (err) {
  console.log(JSON.stringify({ error: String(err), cause: String(err?.cause?.cause ?? err?.cause ?? "") }));
}
`;

async function sdkChild(baseURL: string, ca: string | null): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = { ...process.env, BASE_URL: baseURL, KEY };
  delete env.NODE_EXTRA_CA_CERTS;
  if (ca !== null) env.NODE_EXTRA_CA_CERTS = ca;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", SDK_SCRIPT], { cwd: REPO_ROOT, env });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

/** A TLS handshake with the given client options: the negotiated protocol, or the error code. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<{ protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ...opts }, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ protocol });
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

/** Raw bytes to the port over `socket`; everything that came back before it closed (or 5 s). */
function exchange(socket: net.Socket, request: string): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closed: false });
    }, 5000);
    socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ reply, closed: true });
    });
    socket.write(request);
  });
}

describe("TLS: the real server with TLS_CERT_FILE and TLS_KEY_FILE", () => {
  let cert: TestCert;
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    cert = makeSelfSignedCert();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-tls-data-"));
    server = await startServer({
      DATA_DIR: dataDir, API_KEY: KEY, OLLAMA_HOST: "http://127.0.0.1:9",
      TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(cert.dir, { recursive: true, force: true });
  });

  it("logs https:// URLs", () => {
    expect(server.origin).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.stdout()).toContain(`listening on https://127.0.0.1:${server.port}/v1`);
    expect(server.stdout()).toContain(`Playground: https://127.0.0.1:${server.port}/`);
    expect(server.stdout()).not.toContain(`http://127.0.0.1:${server.port}`);
  });

  it("the openai SDK trusting the certificate creates and reads an assistant; not trusting it, it is refused", { timeout: 30_000 }, async () => {
    const ok = await sdkChild(server.baseURL, cert.certFile);
    expect(ok.error).toBeUndefined();
    const created = ok.created as { id: string; name: string };
    expect(created).toMatchObject({ object: "assistant", name: "Over TLS" });
    expect(ok.retrieved).toEqual(created);
    const untrusted = await sdkChild(server.baseURL, null);
    expect(untrusted.error).toMatch(/Connection error/);
    expect(untrusted.cause).toMatch(/self-signed certificate|DEPTH_ZERO_SELF_SIGNED_CERT/i);
  });

  it("serves the certificate given, for 127.0.0.1 and localhost", async () => {
    const list = await new Promise<{ status: number; body: string; peer: string }>((resolve, reject) => {
      const req = https.get(`${server.baseURL}/assistants`, { ca: cert.cert, agent: false, headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body, peer: (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256 }));
      });
      req.on("error", reject);
    });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toMatchObject({ object: "list" });
    expect(list.peer).toBe(new (await import("node:crypto")).X509Certificate(cert.cert).fingerprint256);
    expect(await handshake(server.port, { ca: cert.cert, servername: "localhost" })).toEqual({ protocol: "TLSv1.3" });
  });

  it("a plaintext HTTP request to the port gets no HTTP answer: the connection closes", async () => {
    const { reply, closed } = await exchange(net.connect(server.port, "127.0.0.1"), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(closed).toBe(true);
    expect(reply).not.toMatch(/HTTP\/1/);
    expect(reply).not.toContain("status");
    await expect(fetch(`http://127.0.0.1:${server.port}/health`)).rejects.toThrow();
  });

  it("TLS 1.2 is accepted; a client that speaks at most TLS 1.1 is refused", async () => {
    expect(await handshake(server.port, { ca: cert.cert, maxVersion: "TLSv1.2" })).toEqual({ protocol: "TLSv1.2" });
    const old: tls.ConnectionOptions = { ca: cert.cert, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" };
    // Control: this client does complete a TLS 1.1 handshake with a server that allows it, so the refusal
    // below is the server's minimum, not this Node/OpenSSL declining to speak TLS 1.1 at all.
    const lax = tls.createServer({ cert: cert.cert, key: fs.readFileSync(cert.keyFile), minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }, (s) => s.end());
    await new Promise<void>((resolve) => lax.listen(0, "127.0.0.1", () => resolve()));
    try {
      expect(await handshake((lax.address() as net.AddressInfo).port, old)).toEqual({ protocol: "TLSv1.1" });
    } finally {
      lax.close();
    }
    const refused = await handshake(server.port, old);
    expect(refused).toEqual({ error: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION" }); // the server's alert: protocol version
  });

  it("bytes HTTP cannot parse, sent over TLS, still get the OpenAI-shaped 400 (clientError handler)", async () => {
    const socket = tls.connect({ host: "127.0.0.1", port: server.port, ca: cert.cert, servername: "localhost" });
    await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
    const { reply } = await exchange(socket, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toMatchObject({ error: { code: "malformed_http" } });
  });
});

describe("TLS: the real server refuses to start on bad TLS files", () => {
  it("a key that is not the certificate's: exit 1 with the reason, no stack trace, nothing listening", { timeout: 60_000 }, async () => {
    const cert = makeSelfSignedCert();
    const other = makeSelfSignedCert({ dir: cert.dir, name: "other" });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-tls-data-"));
    try {
      const err = await startServer({ DATA_DIR: dataDir, TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: other.keyFile }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toContain("server exited before it was healthy (code 1)");
      expect(err?.message).toContain(`TLS_KEY_FILE ${other.keyFile} is not the private key of the certificate in TLS_CERT_FILE ${cert.certFile}.`);
      expect(err?.message).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(dataDir)).toEqual([]); // refused before opening any storage
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(cert.dir, { recursive: true, force: true });
    }
  });
});
