/**
 * Security: a non-loopback bind without API_KEY is refused (config and real process); a wrong or missing key
 * is 401 on every route, with no side effect; uploaded names with `../`, NUL or CR/LF are stored safely and
 * nothing is written outside DATA_DIR; every LanceDB filter the server builds — under hostile ids, queries and
 * attribute filters — is made of validated file ids only (recorded by wrapping LanceDB's own methods).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startOllamaFake } from "../fakes/ollama-fake.js";
import { DEFAULT_TAG, makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { startServer } from "../helpers/server-process.js";
import { makeTestApp, type TestApp } from "../helpers/test-app.js";
import { ENDPOINTS, seededPath, seedObjects } from "./support/endpoints.js";
import { errorShapeProblem, Figures } from "./support/figures.js";
import { NASTY_STRINGS, pct } from "./support/fuzz-requests.js";

const KEY = "sk-reliability-0123456789abcdef";
const BAD_AUTH: Array<Record<string, string>> = [
  {},
  { authorization: "Bearer wrong-key" },
  { authorization: `Bearer ${KEY}x` },
  { authorization: `Bearer ${KEY.toUpperCase()}` },
  { authorization: `Bearer ${KEY.slice(0, -1)}` },
  { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString("base64")}` },
  { authorization: "Bearer " },
  { authorization: KEY },
  { authorization: `Token ${KEY}` },
  { "x-api-key": KEY },
  { "api-key": KEY },
];

const figures = new Figures("security");
// Each check asserts; a failed one is a breach (an unsafe filter, a route answering without a key, …).
beforeEach(() => onTestFailed(() => figures.add("failed_checks")));
afterAll(() => {
  const hostile = ["binds_refused", "unauthorized_requests", "unauthorized_requests_socket", "hostile_file_names", "hostile_filter_inputs"];
  figures.set("faults_injected", hostile.reduce((n, k) => n + figures.get(k), 0));
  figures.set("losses", figures.get("lancedb_filters_unsafe") + figures.get("failed_checks"));
  figures.print();
});

describe("security: binding", () => {
  it("a non-loopback HOST without API_KEY is refused by the config", () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.5", "example.com", "localhost.evil.com", "127.0.0.1.nip.io", "[::]"]) {
      expect(() => loadConfig({ HOST: host }), host).toThrow(ConfigError);
      expect(() => loadConfig({ HOST: host, API_KEY: "" }), `${host} with an empty key`).toThrow(/API_KEY/);
      expect(() => loadConfig({ HOST: host, API_KEY: KEY }), `${host} with a key, without TLS`).toThrow(/over plaintext HTTP/);
      expect(loadConfig({ HOST: host, API_KEY: KEY, ALLOW_PLAINTEXT: "1" }).host).toBe(host);
      figures.add("binds_refused");
    }
    for (const host of ["127.0.0.1", "localhost", "::1", "127.8.9.10"]) expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it("the real server exits at once, listening nowhere, when asked to bind 0.0.0.0 without API_KEY", { timeout: 30_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-bind-"));
    try {
      await expect(startServer({ HOST: "0.0.0.0", DATA_DIR: dataDir })).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without API_KEY/);
      figures.add("binds_refused");
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("security: API key on every route", () => {
  let t: RunTestApp;
  beforeAll(async () => {
    t = await makeRunApp({ API_KEY: KEY });
  });
  afterAll(async () => {
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it(`${ENDPOINTS.length} routes × ${BAD_AUTH.length} bad credentials: 401 in OpenAI's shape, nothing changed; the key works`, { timeout: 60_000 }, async () => {
    const seeds = await seedObjects({ ...t, client: new OpenAI({ apiKey: KEY, baseURL: "http://local-assistants.test/v1", maxRetries: 0, fetch: (u, i) => Promise.resolve(t.app.request(String(u), i as RequestInit)) }) });
    const before = snapshot(t);
    const problems: string[] = [];
    const routes = [...ENDPOINTS.map((e) => ({ method: e.method, url: seededPath(e, seeds), body: e.valid?.(seeds) })), { method: "GET", url: "/v1/no/such/route", body: undefined }];
    for (const route of routes) {
      for (const auth of BAD_AUTH) {
        const res = await t.request(route.url, {
          method: route.method,
          headers: { ...auth, "content-type": "application/json" },
          ...(route.body ? { body: JSON.stringify(route.body) } : {}),
        });
        const text = await res.text();
        figures.add("unauthorized_requests");
        if (res.status !== 401) problems.push(`${route.method} ${route.url} ${JSON.stringify(auth)}: ${res.status}`);
        const shape = errorShapeProblem(text);
        if (shape) problems.push(`${route.method} ${route.url}: ${shape}`);
      }
    }
    expect(problems).toEqual([]);
    expect(snapshot(t)).toEqual(before);
    // The right key passes auth on every route (whatever the route then answers, it is not 401).
    for (const route of routes.slice(0, -1)) {
      const res = await t.request(route.url, { method: "GET", headers: { authorization: `bearer  ${KEY} ` } });
      await res.body?.cancel();
      expect(res.status, route.url).not.toBe(401);
    }
  });
});

describe("security: uploaded file names", () => {
  let t: TestApp;
  let sandbox: string;
  beforeAll(async () => {
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "la-names-"));
    t = await makeTestApp({ DATA_DIR: path.join(sandbox, "data") });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(sandbox, { recursive: true, force: true });
  });

  const NAMES = [
    "../../../../tmp/escaped.txt", "..\\..\\..\\windows\\win.ini", "/etc/passwd", "a\u0000b.txt", "\u0000", "..", ".", "",
    "evil\r\nContent-Type: text/html\r\n.txt", "x".repeat(5000) + ".txt", "名前 \u202e.txt", "%2e%2e%2fescape.txt", " ../ ",
  ];

  it("names are reduced to a safe last segment; bytes live under DATA_DIR/files/<id> only", async () => {
    for (const name of [...NAMES, ...NASTY_STRINGS]) {
      const bytes = Buffer.from(`content of ${JSON.stringify(name)}`);
      const file = await t.client.files.create({ file: await toFile(bytes, name), purpose: "assistants" });
      figures.add("hostile_file_names");
      expect(file.filename).not.toMatch(/[/\\\u0000-\u001f\u007f]/);
      expect(file.filename.length).toBeGreaterThan(0);
      expect(file.filename.length).toBeLessThanOrEqual(255);
      expect([".", ".."]).not.toContain(file.filename);
      const res = await t.request(`/v1/files/${file.id}/content`);
      expect(res.headers.get("content-disposition")).not.toMatch(/[\r\n]/);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    // A raw NUL byte and invalid UTF-8 in the multipart header itself.
    for (const rawName of [Buffer.from("../\u0000../x.txt", "latin1"), Buffer.from([0x2e, 0x2e, 0x2f, 0xff, 0xfe])]) {
      const body = Buffer.concat([
        Buffer.from('--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="'),
        rawName,
        Buffer.from('"\r\n\r\nraw\r\n--B--\r\n'),
      ]);
      const res = await t.request("/v1/files", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=B" }, body });
      const json = (await res.json()) as { filename?: string };
      expect(res.status).toBeLessThan(500);
      if (res.status === 200) expect(json.filename).not.toMatch(/[/\\\u0000]/);
      figures.add("hostile_file_names");
    }
    expect(fs.readdirSync(sandbox)).toEqual(["data"]);
    const stored = fs.readdirSync(path.join(sandbox, "data", "files"));
    expect(stored.every((f) => /^file-[0-9A-Za-z]{24}$/.test(f))).toBe(true);
    expect(stored).toHaveLength(t.services.repos.files.all().length);
    expect(fs.existsSync("/tmp/escaped.txt")).toBe(false);
  });
});

describe("security: LanceDB filters are never built from raw input", () => {
  let t: RunTestApp;
  const filters: string[] = [];
  let restore: () => void = () => undefined;

  beforeAll(async () => {
    restore = await recordLanceFilters(filters);
    t = await makeRunApp({}, { models: [DEFAULT_TAG] });
  });
  afterAll(async () => {
    restore();
    await t?.close();
    if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
  });

  it("hostile ids, queries and attribute filters: every filter string holds validated file ids only", { timeout: 60_000 }, async () => {
    const c = t.client;
    const en = await c.files.create({ file: await toFile(Buffer.from("The quick brown fox jumps over the lazy dog.\n".repeat(30)), "en.txt"), purpose: "assistants" });
    const de = await c.files.create({ file: await toFile(Buffer.from("Der schnelle braune Fuchs springt über den faulen Hund. fox\n".repeat(30)), "de.txt"), purpose: "assistants" });
    const store = await c.vectorStores.create({ name: "filters" });
    await c.vectorStores.files.create(store.id, { file_id: en.id, attributes: { lang: "en", n: 1 } });
    await c.vectorStores.files.create(store.id, { file_id: de.id, attributes: { lang: "de", n: 2 } });
    await t.services.ingestor.idle();

    const hostile = [...NASTY_STRINGS, "' OR '1'='1", "en' OR file_id IS NOT NULL --", "x') OR ('1'='1", "file_id", "*"];
    for (const value of hostile) {
      const search = (filters: unknown) => t.request(`/v1/vector_stores/${store.id}/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "fox", filters }) });
      const eq = await search({ type: "eq", key: "lang", value });
      const byKey = await search({ type: "eq", key: value.slice(0, 64) || "k", value: "en" });
      const inList = await search({ type: "in", key: "lang", value: [value, "nope"] });
      const query = await t.request(`/v1/vector_stores/${store.id}/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: value || "x" }) });
      for (const res of [eq, byKey, inList]) {
        expect(res.status, value).toBe(200);
        // No file has that attribute value: a filter pasted into SQL would have matched everything.
        expect(((await res.json()) as { data: unknown[] }).data, value).toEqual([]);
      }
      expect(query.status, value).toBeLessThan(500);
      await query.body?.cancel();
      const id = pct(value) || "x";
      for (const res of [
        await t.request(`/v1/vector_stores/${store.id}/files/${id}/content`),
        await t.request(`/v1/vector_stores/${store.id}/files/${id}`, { method: "DELETE" }),
        await t.request(`/v1/vector_stores/${id}/search`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"fox"}' }),
      ]) {
        expect(res.status, value).toBeLessThan(500);
        await res.body?.cancel();
      }
      figures.add("hostile_filter_inputs");
    }
    // Genuine filters still work, so the checks above are not vacuous.
    const ok = await t.request(`/v1/vector_stores/${store.id}/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "fox", filters: { type: "eq", key: "lang", value: "de" } }) });
    const hits = ((await ok.json()) as { data: Array<{ file_id: string }> }).data;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.file_id === de.id)).toBe(true);
    const content = await c.vectorStores.files.content(en.id, { vector_store_id: store.id });
    expect(content.data.length).toBeGreaterThan(0);
    await c.vectorStores.files.delete(en.id, { vector_store_id: store.id });

    const SAFE = /^file_id (= 'file-[0-9A-Za-z]{24}'|IN \('file-[0-9A-Za-z]{24}'(, 'file-[0-9A-Za-z]{24}')*\))$/;
    figures.set("lancedb_filters_recorded", filters.length);
    figures.set("lancedb_filters_unsafe", filters.filter((f) => !SAFE.test(f)).length);
    expect(filters.length).toBeGreaterThan(0);
    expect(filters.filter((f) => !SAFE.test(f))).toEqual([]);
  });
});

/** Counts every object kind, to show 401s changed nothing. */
function snapshot(t: RunTestApp): Record<string, number> {
  const r = t.services.repos;
  return {
    assistants: r.assistants.all().length,
    threads: r.threads.all().length,
    messages: r.messages.all().length,
    runs: r.runs.all().length,
    files: r.files.all().length,
    vectorStores: r.vectorStores.all().length,
  };
}

/**
 * Wraps LanceDB's `where` (every query kind) and `Table.delete`, recording each predicate string the server
 * passes. Returns a function that restores them.
 */
async function recordLanceFilters(out: string[]): Promise<() => void> {
  const queryProto = Object.getPrototypeOf(lancedb.Query.prototype) as { where(p: string): unknown };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "la-lance-probe-"));
  const db = await lancedb.connect(dir);
  const table = await db.createTable("probe", [{ a: 1 }]);
  const tableProto = Object.getPrototypeOf(table) as { delete(p: string): Promise<unknown> };
  table.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const where = queryProto.where;
  const del = tableProto.delete;
  queryProto.where = function (this: unknown, predicate: string) {
    out.push(predicate);
    return where.call(this, predicate);
  };
  tableProto.delete = function (this: unknown, predicate: string) {
    out.push(predicate);
    return del.call(this, predicate);
  };
  return () => {
    queryProto.where = where;
    tableProto.delete = del;
  };
}

// The same check across a real socket and process boundary: one request per route without the key.
describe("security: API key over a real socket", () => {
  it("every route answers 401 without the key on the real server", { timeout: 60_000 }, async () => {
    const ollama = await startOllamaFake({ models: [DEFAULT_TAG] });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-auth-socket-"));
    const server = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: ollama.url, API_KEY: KEY, HOST: "127.0.0.1" });
    try {
      for (const e of ENDPOINTS) {
        const url = `${server.origin}${e.path.replace(/\{(\w+)\}/g, (_, k: string) => `${k}_x`)}`;
        const res = await fetch(url, { method: e.method, headers: { authorization: "Bearer nope", "content-type": "application/json" }, ...(e.method === "GET" ? {} : { body: "{}" }) });
        expect(res.status, url).toBe(401);
        expect(errorShapeProblem(await res.text())).toBeNull();
        figures.add("unauthorized_requests_socket");
      }
      const ok = await fetch(`${server.baseURL}/assistants`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(ok.status).toBe(200);
    } finally {
      await server.stop();
      await ollama.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
