/**
 * Browser-borne attacks on the default deployment (loopback, no key), sent as raw requests: DNS rebinding
 * (a page whose own name resolves to 127.0.0.1 sends its name as Host), cross-site writes (simple requests a
 * page may send without a preflight: no-cors fetches with an untyped body, forms, multipart uploads) and
 * CORS preflights. test/e2e/browser-attacks.test.ts makes the same attacks from a real Chromium.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type Env } from "../../src/config.js";
import { rawError, useTestApp } from "../helpers/contract.js";
import { listen, makeTestApp, type TestApp } from "../helpers/test-app.js";

const EVIL = "evil.example:8080";
const JSON_HEADERS = { "content-type": "application/json" };

/** Regular files under DATA_DIR/files (uploaded bytes). */
function storedFiles(t: TestApp): string[] {
  const dir = path.join(t.dataDir, "files");
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : [];
}

async function uploadHello(t: TestApp): Promise<string> {
  const form = new FormData();
  form.set("purpose", "assistants");
  form.set("file", new File(["private document"], "secret.txt", { type: "text/plain" }));
  const res = await t.request("/v1/files", { method: "POST", body: form });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

const get = (t: TestApp, pathname: string, headers: Record<string, string>) => t.request(pathname, { headers });

describe("DNS rebinding: the Host header, server on loopback", () => {
  const app = useTestApp();

  it("refuses a foreign Host with 403 in OpenAI's shape: file list, file content, assistants, /health, the page", async () => {
    const t = app();
    const id = await uploadHello(t);
    for (const pathname of ["/v1/files", `/v1/files/${id}`, `/v1/files/${id}/content`, "/v1/assistants", "/health", "/"]) {
      const error = await rawError(await get(t, pathname, { host: EVIL }), 403);
      expect(error).toMatchObject({ type: "invalid_request_error", code: "host_not_allowed", param: null });
      expect(error.message).toContain("ALLOWED_HOSTS");
    }
    const write = await t.request("/v1/assistants", { method: "POST", headers: { ...JSON_HEADERS, host: EVIL }, body: JSON.stringify({ model: "gpt-4o", instructions: "planted" }) });
    await rawError(write, 403);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
  });

  it.each([
    "localhost",
    "localhost:8080",
    "LocalHost:8080",
    "localhost.:8080",
    "127.0.0.1",
    "127.0.0.1:8080",
    "127.1.2.3:9",
    "[::1]",
    "[::1]:8080",
    "foo.localhost:8080",
    "a.b.localhost",
  ])("answers Host %s", async (host) => {
    const res = await get(app(), "/v1/files", { host });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it.each([
    "evil.example",
    "127.0.0.1.evil.example:8080",
    "localhost.evil.example",
    "evil-localhost:8080",
    "10.0.0.1:8080",
    "[::2]:8080",
    "[::1:8080",
    "localhost:8080:80",
    "localhost:http",
    "localhost@evil.example",
    "0.0.0.0:8080",
  ])("refuses Host %s", async (host) => {
    await rawError(await get(app(), "/v1/files", { host }), 403);
  });

  it("over a real socket too: Host evil.example:8080 gets 403 for /v1/files/{id}/content, Host 127.0.0.1 the bytes", async () => {
    const t = app();
    const id = await uploadHello(t);
    const server = await listen(t.app);
    try {
      const { port } = new URL(server.baseURL);
      const evil = await rawGet(Number(port), `/v1/files/${id}/content`, EVIL);
      expect(evil.status).toBe(403);
      expect(evil.body).not.toContain("private document");
      expect(JSON.parse(evil.body)).toMatchObject({ error: { code: "host_not_allowed" } });
      const own = await rawGet(Number(port), `/v1/files/${id}/content`, `127.0.0.1:${port}`);
      expect(own).toMatchObject({ status: 200, body: "private document" });
    } finally {
      await server.close();
    }
  });
});

describe("DNS rebinding: ALLOWED_HOSTS and the configured HOST", () => {
  const opened: TestApp[] = [];
  afterEach(async () => {
    for (const t of opened.splice(0)) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
  async function appWith(env: Env): Promise<TestApp> {
    const t = await makeTestApp(env);
    opened.push(t);
    return t;
  }
  const status = async (t: TestApp, host: string, key = "k") => (await get(t, "/v1/files", { host, authorization: `Bearer ${key}` })).status;

  it("ALLOWED_HOSTS adds names (any port), name:port entries and *.suffix entries", async () => {
    const t = await appWith({ ALLOWED_HOSTS: "App.Example, box:9000 ,*.corp.example" });
    expect(await status(t, "app.example")).toBe(200);
    expect(await status(t, "app.example:1234")).toBe(200);
    expect(await status(t, "box:9000")).toBe(200);
    expect(await status(t, "box:9001")).toBe(403);
    expect(await status(t, "box")).toBe(403);
    expect(await status(t, "a.corp.example:8080")).toBe(200);
    expect(await status(t, "corp.example")).toBe(403);
    expect(await status(t, "localhost:8080")).toBe(200);
    expect(await status(t, EVIL)).toBe(403);
  });

  it("ALLOWED_HOSTS=* answers any Host", async () => {
    const t = await appWith({ ALLOWED_HOSTS: "*" });
    expect(await status(t, EVIL)).toBe(200);
  });

  it("bound beyond loopback (API_KEY required), Host is checked only when ALLOWED_HOSTS is set; HOST itself is allowed", async () => {
    const open = await appWith({ HOST: "192.168.7.20", API_KEY: "k", ALLOW_PLAINTEXT: "1" });
    expect(await status(open, EVIL)).toBe(200);
    const checked = await appWith({ HOST: "192.168.7.20", API_KEY: "k", ALLOW_PLAINTEXT: "1", ALLOWED_HOSTS: "assistants.lan" });
    expect(await status(checked, "192.168.7.20:8080")).toBe(200);
    expect(await status(checked, "assistants.lan:8080")).toBe(200);
    expect(await status(checked, "127.0.0.1:8080")).toBe(200);
    expect(await status(checked, EVIL)).toBe(403);
  });

  it("refuses malformed entries at start", () => {
    expect(() => loadConfig({ ALLOWED_HOSTS: "http://app.example" })).toThrow(ConfigError);
    expect(() => loadConfig({ ALLOWED_HOSTS: "a b" })).toThrow(/ALLOWED_HOSTS/);
    expect(() => loadConfig({ ALLOWED_ORIGINS: "app.example" })).toThrow(/ALLOWED_ORIGINS/);
    expect(loadConfig({ ALLOWED_ORIGINS: " https://App.Example/ ,*", ALLOWED_HOSTS: "a.example,*" })).toMatchObject({
      allowedOrigins: ["https://app.example", "*"],
      allowedHosts: ["a.example", "*"],
    });
  });
});

describe("cross-site writes: Content-Type", () => {
  const app = useTestApp();

  it("a JSON body without Content-Type (what a no-cors fetch of a Blob sends) is 400 in OpenAI's shape; nothing created", async () => {
    const t = app();
    const body = new Blob([JSON.stringify({ model: "gpt-4o", instructions: "planted" })]);
    const req = new Request("http://localhost/v1/assistants", { method: "POST", body });
    expect(req.headers.get("content-type")).toBeNull(); // as the browser sends it
    const error = await rawError(await t.app.request(req), 400);
    expect(error).toMatchObject({ code: "invalid_content_type", param: null });
    expect(error.message).toMatch(/Content-Type/);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await t.request("/v1/assistants", { method: "POST", headers: { "content-type": type }, body: JSON.stringify({ model: "gpt-4o" }) });
      expect((await rawError(res, 400)).code).toBe("invalid_content_type");
    }
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
  });

  it("still accepts application/json (and +json), and a body-less POST with no Content-Type", async () => {
    const t = app();
    for (const type of ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"]) {
      const res = await t.request("/v1/assistants", { method: "POST", headers: { "content-type": type }, body: JSON.stringify({ model: "gpt-4o" }) });
      expect(res.status).toBe(200);
    }
    const thread = await t.request("/v1/threads", { method: "POST" });
    expect(thread.status).toBe(200);
  });
});

describe("cross-site writes: the Origin header", () => {
  const app = useTestApp();
  const own = { host: "127.0.0.1:8080" };

  it("refuses a JSON POST, a no-cors write and a GET from another site's origin with 403; nothing created", async () => {
    const t = app();
    for (const origin of ["http://evil.example:8080", "https://evil.example", "null", "http://127.0.0.1.evil.example"]) {
      const res = await t.request("/v1/assistants", { method: "POST", headers: { ...JSON_HEADERS, ...own, origin }, body: JSON.stringify({ model: "gpt-4o", instructions: "planted" }) });
      const error = await rawError(res, 403);
      expect(error).toMatchObject({ type: "invalid_request_error", code: "origin_not_allowed" });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    await rawError(await t.request("/v1/threads", { method: "POST", headers: { ...own, origin: "http://evil.example" } }), 403);
    await rawError(await get(t, "/v1/files", { ...own, origin: "http://evil.example" }), 403);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
  });

  it("refuses a cross-site multipart upload with 403: no file row, no bytes in DATA_DIR", async () => {
    const t = app();
    const form = new FormData();
    form.set("purpose", "assistants");
    form.set("file", new File(["x".repeat(100_000)], "fill.bin"));
    const res = await t.request("/v1/files", { method: "POST", headers: { ...own, origin: "http://evil.example:8080" }, body: form });
    expect((await rawError(res, 403)).code).toBe("origin_not_allowed");
    expect((await t.client.files.list()).data).toEqual([]);
    expect(storedFiles(t)).toEqual([]);
  });

  it("answers a cross-site multipart upload with 403 before its body is read (real socket, body never finished)", async () => {
    const t = app();
    const server = await listen(t.app);
    try {
      const port = Number(new URL(server.baseURL).port);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/v1/files",
          agent: false,
          headers: { "content-type": "multipart/form-data; boundary=B", "content-length": String(500 * 1024 * 1024), origin: "http://evil.example:8080" },
        });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => {
            req.destroy(); // the rest of the 500 MB is never sent
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
        // Only the first bytes of the 500 MB: the answer must come anyway.
        req.write('--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n');
      });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "origin_not_allowed" } });
      expect((await t.client.files.list()).data).toEqual([]);
      expect(storedFiles(t)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("lets the server's own origin through without CORS headers (the Playground)", async () => {
    const t = app();
    const res = await t.request("/v1/assistants", { method: "POST", headers: { ...JSON_HEADERS, ...own, origin: "http://127.0.0.1:8080" }, body: JSON.stringify({ model: "gpt-4o" }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets loopback origins through, with Access-Control-Allow-Origin on the answer", async () => {
    const t = app();
    for (const origin of ["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8000", "https://app.localhost", "http://localhost"]) {
      const res = await t.request("/v1/assistants", { method: "POST", headers: { ...JSON_HEADERS, ...own, origin }, body: JSON.stringify({ model: "gpt-4o" }) });
      expect(res.status, origin).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("vary") ?? "").toMatch(/Origin/);
      expect(res.headers.get("access-control-expose-headers") ?? "").toMatch(/x-request-id/);
    }
    // errors too: the page can read why
    const missing = await get(t, "/v1/assistants/asst_nope", { ...own, origin: "http://localhost:3000" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
  });
});

describe("CORS preflights and ALLOWED_ORIGINS", () => {
  const app = useTestApp({ ALLOWED_ORIGINS: "https://app.example, https://*.corp.example" });
  const preflight = (t: TestApp, origin: string, headers = "authorization, content-type, openai-beta, x-stainless-os, x-stainless-retry-count") =>
    t.request("/v1/assistants", {
      method: "OPTIONS",
      headers: { host: "127.0.0.1:8080", origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
    });

  it("answers a preflight of an allowed origin with 204 and the methods and headers the SDK sends", async () => {
    const t = app();
    for (const origin of ["https://app.example", "https://x.corp.example", "http://localhost:3000"]) {
      const res = await preflight(t, origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
      expect(res.headers.get("access-control-allow-methods")).toMatch(/DELETE/);
      expect((res.headers.get("access-control-allow-headers") ?? "").split(/,\s*/)).toEqual(["authorization", "content-type", "openai-beta", "x-stainless-os", "x-stainless-retry-count"]);
    }
    // A header nobody sends is left out (the browser then refuses the request).
    expect((await preflight(t, "https://app.example", "content-type, x-evil")).headers.get("access-control-allow-headers")).toBe("content-type");
  });

  it("refuses a preflight of any other origin with 403 and no CORS headers", async () => {
    const t = app();
    for (const origin of ["http://evil.example:8080", "https://app.example.evil", "https://corp.example", "http://app.example", "null"]) {
      const res = await preflight(t, origin);
      expect((await rawError(res, 403)).code, origin).toBe("origin_not_allowed");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("an ALLOWED_ORIGINS origin can write and read", async () => {
    const t = app();
    const res = await t.request("/v1/assistants", { method: "POST", headers: { ...JSON_HEADERS, host: "127.0.0.1:8080", origin: "https://app.example" }, body: JSON.stringify({ model: "gpt-4o" }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });
});

/** A GET over a fresh connection with exactly this Host header. */
function rawGet(port: number, pathname: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, agent: false, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
