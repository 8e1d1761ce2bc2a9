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

/** What the folder serves, by extension; anything else in it (router.ts, *.d.ts) is never sent. */
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/**
 * A servable file name: one plain name of this folder with one of the extensions above. No slash (no
 * subfolder, no `..`), no leading dot (no dotfile), no other dot (so `sse.d.ts` or `app.js.map` never match).
 */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|svg)$/;

const HEADERS = {
  "content-security-policy": PLAYGROUND_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Revalidate every time: a restarted server with a newer page must not leave a stale copy behind.
  "cache-control": "no-cache",
};

/**
 * Routes for the page: `/` is index.html, `/playground/<name>` any `.js`, `.css` or `.svg` file of this
 * folder (so a new module needs no route). Each file is read on its first request and kept in memory;
 * a name that is not servable, or not a file here, falls through to the API's 404.
 */
export function playgroundRouter(dir: URL = new URL("./", import.meta.url)): Hono {
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const load = (file: string): Promise<Uint8Array<ArrayBuffer>> => {
    let bytes = cache.get(file);
    if (!bytes) {
      const url = new URL(file, dir);
      // lstat: a regular file only, not a folder or a link that could point out of the folder.
      bytes = fs.lstat(url).then(async (stat) => {
        if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
        return new Uint8Array(await fs.readFile(url));
      });
      // A failed read (file missing) is retried on the next request instead of cached.
      bytes.catch(() => cache.delete(file));
      cache.set(file, bytes);
    }
    return bytes;
  };
  /** The file's bytes, or null when there is no such file (the caller falls through to the 404). */
  const tryLoad = (file: string): Promise<Uint8Array<ArrayBuffer> | null> => load(file).catch(() => null);

  const app = new Hono();
  app.get("/", async (c, next) => {
    const bytes = await tryLoad("index.html");
    if (!bytes) return next();
    return c.body(bytes, 200, { ...HEADERS, "content-type": "text/html; charset=utf-8" });
  });
  app.get("/playground/:name", async (c, next) => {
    const name = c.req.param("name");
    const match = ASSET_NAME.exec(name);
    const bytes = match ? await tryLoad(name) : null;
    if (!match || !bytes) return next();
    return c.body(bytes, 200, { ...HEADERS, "content-type": TYPES[match[1]!]! });
  });
  return app;
}
