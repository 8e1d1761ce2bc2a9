/**
 * The Playground router serves index.html at `/` and any .js/.css/.svg file of its own folder by name, with
 * the page's headers; nothing else: no other extension, no dotfile, no subfolder, no link, no `..`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PLAYGROUND_CSP, playgroundRouter } from "../../src/playground/router.js";

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

describe("playground router: the real folder", () => {
  const folder = new URL("../../src/playground/", import.meta.url);
  const router = playgroundRouter();

  it("serves every .js, .css and .svg file of the folder with its content type and the page's headers", async () => {
    const names = fs.readdirSync(folder).filter((n) => /^[^.]+\.(js|css|svg)$/.test(n));
    expect(names).toEqual(expect.arrayContaining(["app.js", "api.js", "render.js", "sse.js", "style.css", "icon.svg"]));
    for (const name of names) {
      const res = await router.request(`/playground/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type"), name).toBe(TYPES[name.split(".").pop()!]);
      expect(res.headers.get("content-security-policy")).toBe(PLAYGROUND_CSP);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(new URL(name, folder))), name).toBe(true);
    }
  });

  it("serves the page at / and nothing that is not a page asset", async () => {
    const page = await router.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    for (const url of [
      "/playground/router.ts",
      "/playground/sse.d.ts",
      "/playground/rules.d.ts",
      "/playground/index.html",
      "/playground/nope.js",
      "/playground/..%2Frouter.ts",
      "/playground/..%2F..%2Fpackage.json",
      "/playground/%2e%2e%2fapp.ts",
      "/playground/../app.ts",
      "/playground/",
    ]) {
      expect((await router.request(url)).status, url).toBe(404);
    }
  });
});

describe("playground router: a folder with things it must not serve", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "playground-router-"));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "playground-outside-"));
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html>");
  fs.writeFileSync(path.join(dir, "new-module.js"), "export const x = 1;");
  fs.writeFileSync(path.join(dir, ".hidden.js"), "secret");
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an asset");
  fs.writeFileSync(path.join(dir, "app.js.map"), "{}");
  fs.mkdirSync(path.join(dir, "sub"));
  fs.writeFileSync(path.join(dir, "sub", "inner.js"), "nested");
  fs.mkdirSync(path.join(dir, "folder.js"));
  fs.writeFileSync(path.join(outside, "secret.js"), "outside");
  fs.symlinkSync(path.join(outside, "secret.js"), path.join(dir, "link.js"));
  const router = playgroundRouter(pathToFileURL(`${dir}/`));

  it("a module added to the folder is served without a route of its own", async () => {
    const res = await router.request("/playground/new-module.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await res.text()).toBe("export const x = 1;");
  });

  it("dotfiles, other extensions, subfolders, folders and links are not served", async () => {
    for (const url of [
      "/playground/.hidden.js",
      "/playground/notes.txt",
      "/playground/app.js.map",
      "/playground/sub/inner.js",
      "/playground/sub%2Finner.js",
      "/playground/folder.js",
      "/playground/link.js",
    ]) {
      expect((await router.request(url)).status, url).toBe(404);
    }
  });

  it("a file that appears after a miss is served (misses are not cached)", async () => {
    expect((await router.request("/playground/later.css")).status).toBe(404);
    fs.writeFileSync(path.join(dir, "later.css"), "body {}");
    const res = await router.request("/playground/later.css");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});
