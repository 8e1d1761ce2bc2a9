/**
 * Browser-borne attacks on the default deployment (loopback, no key), from a real headless Chromium: a web
 * page the user visits must not read or write anything here. `--host-resolver-rules` maps evil.example to
 * 127.0.0.1, as the attacker's DNS would.
 *
 * - Cross-site: the attacker's page, served by a second local HTTP server at http://evil.example:<its port>/,
 *   calls the server at 127.0.0.1 with fetch (cors and no-cors, an untyped Blob body, a multipart upload) and
 *   a text/plain form post.
 * - DNS rebinding: the same page calls its own origin. The attacker's server answers `/` itself and hands
 *   every other request, bytes and Host header unchanged, to the server under test: what a rebound DNS answer
 *   does (same-origin to the browser; the server sees `Host: evil.example:<port>`).
 * Afterwards the same browser opens the Playground at its own origin and it still works.
 * Machines without /usr/bin/chromium skip this suite.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { toFile } from "openai";
import { listen, makeTestApp, type TestApp } from "../helpers/test-app.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP evil.example 127.0.0.1",
];
const WAIT = { timeout: 15_000 };
const TEST_TIMEOUT = 90_000;
const SECRET = "the private document's only copy";

interface Attempt {
  name: string;
  /** HTTP status the page could see (0: opaque, no-cors), or null when the request failed in the browser. */
  status: number | null;
  /** What the page could read of the answer (first 500 characters). */
  body: string;
  error: string | null;
}

/**
 * The attacker's script: every attempt against `target` ("" = its own origin), with the results left in
 * `window.results` and `document.title` set to "done".
 */
function attackerPage(target: string, fileId: string): string {
  const script = `
    const target = ${JSON.stringify(target)};
    const fileId = ${JSON.stringify(fileId)};
    const results = [];
    async function attempt(name, url, init) {
      try {
        const res = await fetch(target + url, init);
        let body = "";
        try { body = (await res.text()).slice(0, 500); } catch {}
        results.push({ name, status: res.status, body, error: null });
      } catch (err) {
        results.push({ name, status: null, body: "", error: String(err) });
      }
    }
    function formPost(name, url) {
      // enctype=text/plain makes name=value the body: {"model":"gpt-4o","instructions":"planted by a form","x":"="}
      return new Promise((resolve) => {
        const frame = document.createElement("iframe");
        frame.name = "sink-" + name;
        document.body.append(frame);
        const form = document.createElement("form");
        form.method = "POST";
        form.action = target + url;
        form.enctype = "text/plain";
        form.target = frame.name;
        const field = document.createElement("input");
        field.name = '{"model":"gpt-4o","instructions":"planted by a form","x":"';
        field.value = '"}';
        form.append(field);
        document.body.append(form);
        frame.addEventListener("load", () => {
          let body = "";
          try { body = (frame.contentDocument?.body?.textContent ?? "").slice(0, 500); } catch { body = "(cross-origin frame)"; }
          results.push({ name, status: null, body, error: null });
          resolve();
        }, { once: true });
        form.submit();
      });
    }
    (async () => {
      await attempt("read the file list", "/v1/files");
      await attempt("read a file's content", "/v1/files/" + fileId + "/content");
      await attempt("read the assistants", "/v1/assistants");
      await attempt("read /health", "/health");
      await attempt("plant an assistant (JSON, cors)", "/v1/assistants", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", name: "planted-cors", instructions: "planted" }),
      });
      await attempt("plant an assistant (no-cors, untyped Blob)", "/v1/assistants", {
        method: "POST", mode: "no-cors",
        body: new Blob([JSON.stringify({ model: "gpt-4o", name: "planted-blob", instructions: "planted" })]),
      });
      await attempt("plant an assistant (no-cors, text/plain)", "/v1/assistants", {
        method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" },
        body: JSON.stringify({ model: "gpt-4o", name: "planted-text", instructions: "planted" }),
      });
      const form = new FormData();
      form.set("purpose", "assistants");
      form.set("file", new File([new Uint8Array(1024 * 1024)], "fill-the-disk.bin"));
      await attempt("upload a file (no-cors multipart)", "/v1/files", { method: "POST", mode: "no-cors", body: form });
      await formPost("plant an assistant (form post)", "/v1/assistants");
      window.results = results;
      document.title = "done";
    })();
  `;
  return `<!doctype html><html><head><title>cute cats</title></head><body><h1>Cute cats</h1><script>${script}</script></body></html>`;
}

describe.skipIf(!fs.existsSync(CHROMIUM))("browser-borne attacks in a real browser", () => {
  let browser: Browser;
  let t: TestApp;
  let server: { baseURL: string; close(): Promise<void> };
  let port: number;
  let fileId: string;
  let evil: http.Server;
  let evilPort: number;
  /** What the attacker's server serves at `/` (set per test). */
  let evilHtml = "";

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    t = await makeTestApp();
    server = await listen(t.app);
    port = Number(new URL(server.baseURL).port);
    fileId = (await t.client.files.create({ file: await toFile(Buffer.from(SECRET), "secret.txt"), purpose: "assistants" })).id;
    evil = http.createServer((req, res) => {
      if (req.method === "GET" && req.url === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(evilHtml);
        return;
      }
      // The rebound name: the request goes on to 127.0.0.1:<port> as it came, Host header and all.
      const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    evilPort = (evil.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
    await server?.close();
    if (t) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });

  async function run(context: BrowserContext, url: string): Promise<Attempt[]> {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.title === "done", undefined, WAIT);
    return page.evaluate(() => (window as unknown as { results: Attempt[] }).results);
  }

  /** Nothing was planted or uploaded: the seeded file is all there is, in the database and in DATA_DIR. */
  async function expectNothingWritten(): Promise<void> {
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
    expect((await t.client.files.list()).data.map((f) => f.id)).toEqual([fileId]);
    const stored = fs.readdirSync(path.join(t.dataDir, "files"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(stored.map((e) => e.name)).toEqual([fileId]);
  }

  function expectNoLeak(results: Attempt[]): void {
    const seen = JSON.stringify(results);
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain("secret.txt");
    expect(seen).not.toContain(fileId + '"'); // a listing would show the id as a value
    expect(seen).not.toMatch(/"version"/);
    expect(seen).not.toMatch(/"reachable"/);
  }

  it("cross-site: a page at http://evil.example reads nothing and writes nothing on 127.0.0.1", async () => {
    evilHtml = attackerPage(`http://127.0.0.1:${port}`, fileId);
    const context = await browser.newContext();
    try {
      const results = await run(context, `http://evil.example:${evilPort}/`);
      expect(results.map((r) => r.name)).toHaveLength(9);
      const byName = Object.fromEntries(results.map((r) => [r.name, r]));
      // CORS reads: refused (the server's 403 has no Access-Control-Allow-Origin, so fetch rejects).
      for (const name of ["read the file list", "read a file's content", "read the assistants", "read /health", "plant an assistant (JSON, cors)"]) {
        expect(byName[name], name).toMatchObject({ status: null, error: expect.stringMatching(/TypeError/) });
      }
      // no-cors writes get an opaque answer; whether they worked shows on the server.
      for (const name of ["plant an assistant (no-cors, untyped Blob)", "plant an assistant (no-cors, text/plain)", "upload a file (no-cors multipart)"]) {
        expect(byName[name], name).toMatchObject({ status: 0, body: "" });
      }
      expectNoLeak(results);
      await expectNothingWritten();
    } finally {
      await context.close();
    }
  }, TEST_TIMEOUT);

  it("DNS rebinding: a page at http://evil.example whose name now leads to this server gets 403 for everything", async () => {
    // Same-origin to the browser: only the Host header tells the server who is asking.
    evilHtml = attackerPage("", fileId);
    const context = await browser.newContext();
    try {
      const results = await run(context, `http://evil.example:${evilPort}/`);
      expect(results).toHaveLength(9);
      for (const r of results) {
        if (r.name === "plant an assistant (form post)") {
          expect(r.body, r.name).toContain("host_not_allowed");
          continue;
        }
        // Same-origin: the page reads every answer, and every answer is the 403.
        expect(r.status, `${r.name}: ${r.error}`).toBe(403);
        expect(JSON.parse(r.body), r.name).toMatchObject({ error: { code: "host_not_allowed", type: "invalid_request_error" } });
      }
      expectNoLeak(results);
      await expectNothingWritten();
    } finally {
      await context.close();
    }
  }, TEST_TIMEOUT);

  it("the Playground at its own origin still works: lists, creates an assistant, reads /health", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
        const page = await context.newPage();
        const problems: string[] = [];
        page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
        await page.goto(`${origin}/`);
        await page.waitForSelector("body[data-ready=true]", WAIT);
        // /health answered in full (no key configured): the page says Ollama (port 9 here) is not reachable.
        await page.locator("#health", { hasText: "Ollama not reachable" }).waitFor(WAIT);
        const name = `Made at ${new URL(origin).hostname}`;
        await page.getByRole("button", { name: "+ New" }).first().click();
        await page.getByLabel("Name", { exact: true }).fill(name);
        await page.getByRole("button", { name: "Create assistant" }).click();
        await page.locator("#assistant-list").getByText(name).waitFor(WAIT);
        expect(problems).toEqual([]);
        await page.close();
      }
      expect((await t.client.beta.assistants.list()).data.map((a) => a.name)).toEqual(expect.arrayContaining(["Made at 127.0.0.1", "Made at localhost"]));
    } finally {
      await context.close();
    }
  }, TEST_TIMEOUT);
});
