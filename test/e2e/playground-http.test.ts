/**
 * The Playground as plain HTTP (no browser): the page and its assets are served with the right types and a
 * strict CSP, reference nothing remote, stay public when API_KEY is set (the page asks for the key), and
 * the page's own SSE parser copes with any chunking.
 */
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "../../src/playground/sse.js";
import { PLAYGROUND_CSP } from "../../src/playground/router.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";

const apps: TestApp[] = [];
async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await makeTestApp(env);
  apps.push(t);
  return t;
}
afterEach(async () => {
  for (const t of apps.splice(0)) {
    await t.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
  }
});

/** Every same-origin URL the HTML and the modules load. */
function referencedAssets(html: string, modules: Record<string, string>): string[] {
  const fromHtml = [...html.matchAll(/(?:src|href)="(\/[^"#]*)"/g)].map((m) => m[1]!);
  const fromJs = Object.values(modules).flatMap((js) => [...js.matchAll(/from "\.\/([^"]+)"/g)].map((m) => `/playground/${m[1]}`));
  return [...new Set([...fromHtml, ...fromJs])];
}

describe("playground: served by the same process", () => {
  it("GET / returns the page with a strict CSP that names no remote origin", async () => {
    const t = await app();
    const res = await t.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toBe(PLAYGROUND_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/playground/app.js"></script>');
    expect(html).toContain("<title>Playground · local-assistants</title>");
  });

  it("serves every asset the page loads, with its content type, and nothing refers to another origin", async () => {
    const t = await app();
    const html = await (await t.request("/")).text();
    const modules: Record<string, string> = {};
    for (const name of ["app.js", "api.js", "render.js", "sse.js"]) {
      const res = await t.request(`/playground/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      modules[name] = await res.text();
    }
    const types: Record<string, string> = { js: "text/javascript", css: "text/css", svg: "image/svg+xml" };
    for (const url of referencedAssets(html, modules)) {
      const res = await t.request(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("content-type"), url).toContain(types[url.split(".").pop()!]!);
      expect(res.headers.get("content-security-policy")).toBe(PLAYGROUND_CSP);
      const text = await res.text();
      // No CDN, no remote font, no analytics: the page works offline. (An SVG's xmlns is a name, not a fetch.)
      expect(text.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, ""), url).not.toMatch(/https?:\/\//);
    }
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\sstyle="/); // CSP forbids inline styles
  });

  it("unknown playground paths are the API's 404, and the API itself is unchanged", async () => {
    const t = await app();
    const res = await t.request("/playground/../src/config.ts");
    expect(res.status).toBe(404);
    const missing = await t.request("/playground/nope.js");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: "Invalid URL (GET /playground/nope.js)" } });
    expect((await t.request("/v1/assistants")).status).toBe(200);
  });

  it("with API_KEY set, the page is still served (it asks for the key) while /v1 needs the key", async () => {
    const t = await app({ API_KEY: "sk-local-playground" });
    const page = await t.request("/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<dialog id="key-dialog"');
    expect(html).toMatch(/<label for="key-input">API key<\/label>\s*<input id="key-input" type="password"/);
    expect((await t.request("/playground/app.js")).status).toBe(200);
    expect((await t.request("/v1/assistants")).status).toBe(401);
    const ok = await t.request("/v1/assistants", { headers: { authorization: "Bearer sk-local-playground" } });
    expect(ok.status).toBe(200);
    // The page sends the key it asked for as a Bearer token, read from session storage.
    const api = await (await t.request("/playground/api.js")).text();
    expect(api).toContain("sessionStorage");
    expect(api).toContain("authorization = `Bearer ${key}`");
  });
});

describe("playground: the page's SSE parser", () => {
  const stream =
    ": keep-alive\n\n" +
    'event: thread.message.delta\ndata: {"delta":{"content":[{"index":0,"type":"text","text":{"value":"Hé 😀"}}]}}\n\n' +
    "event: thread.run.step.delta\r\ndata: {\"a\":1}\r\n\r\n" +
    "event: multi\ndata: line 1\ndata:line 2\n\n" +
    "event: done\ndata: [DONE]\n\n";
  const expected: SseEvent[] = [
    { event: "thread.message.delta", data: '{"delta":{"content":[{"index":0,"type":"text","text":{"value":"Hé 😀"}}]}}' },
    { event: "thread.run.step.delta", data: '{"a":1}' },
    { event: "multi", data: "line 1\nline 2" },
    { event: "done", data: "[DONE]" },
  ];

  it("gives the same events however the text is split (mid-line, between \\r and \\n)", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const second of [cut, Math.min(stream.length, cut + 7)]) {
        const events: SseEvent[] = [];
        const parser = createSseParser((e) => events.push(e));
        parser.push(stream.slice(0, cut));
        parser.push(stream.slice(cut, second));
        parser.push(stream.slice(second));
        parser.end();
        expect(events, `split at ${cut}/${second}`).toEqual(expected);
      }
    }
  });

  it("one character at a time, and a last event without its blank line", () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((e) => events.push(e));
    for (const ch of "event: a\ndata: 1\n\nevent: b\ndata: 2") parser.push(ch);
    parser.end();
    expect(events).toEqual([
      { event: "a", data: "1" },
      { event: "b", data: "2" },
    ]);
  });
});
