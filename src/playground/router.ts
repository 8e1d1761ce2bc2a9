import fs from "node:fs/promises";
import { Hono } from "hono";

/**
 * The Playground: static files served at `/` and `/playground/*`. The page talks only to the public
 * `/v1` API (and `/health`), so it needs no services; it is public like `/health` and asks for the API
 * key itself when the server has one.
 */

/** No remote origin anywhere: the page works offline and cannot be made to load or send elsewhere. */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:", // blob: images the page fetched with the API key (code_interpreter output)
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/playground/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/playground/api.js": { file: "api.js", type: "text/javascript; charset=utf-8" },
  "/playground/render.js": { file: "render.js", type: "text/javascript; charset=utf-8" },
  "/playground/sse.js": { file: "sse.js", type: "text/javascript; charset=utf-8" },
  "/playground/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "/playground/icon.svg": { file: "icon.svg", type: "image/svg+xml" },
};

const HEADERS = {
  "content-security-policy": PLAYGROUND_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Revalidate every time: a restarted server with a newer page must not leave a stale copy behind.
  "cache-control": "no-cache",
};

/** Routes for the page; each file is read on its first request and kept in memory. */
export function playgroundRouter(dir: URL = new URL("./", import.meta.url)): Hono {
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const load = (file: string): Promise<Uint8Array<ArrayBuffer>> => {
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = fs.readFile(new URL(file, dir)).then((b) => new Uint8Array(b));
      // A failed read (file missing) is retried on the next request instead of cached.
      bytes.catch(() => cache.delete(file));
      cache.set(file, bytes);
    }
    return bytes;
  };

  const app = new Hono();
  for (const [route, asset] of Object.entries(ASSETS)) {
    app.get(route, async (c) => c.body(await load(asset.file), 200, { ...HEADERS, "content-type": asset.type }));
  }
  return app;
}
