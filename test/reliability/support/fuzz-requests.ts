/**
 * fast-check arbitraries for malformed requests: a route from ENDPOINTS, then (independently) a mutated body,
 * a hostile query string, hostile ids in the path, a wrong content type or a wrong method.
 */
import fc from "fast-check";
import { ENDPOINTS, fillPath, type Endpoint, type SeedKind, type Seeds } from "./endpoints.js";

export interface FuzzRequest {
  endpoint: Endpoint;
  method: string;
  /** Path and query, e.g. `/v1/assistants?limit=-1`. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
  /** What was done to the request, for the report. */
  mutation: string;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const SEED_KINDS: SeedKind[] = ["assistant", "thread", "message", "run", "step", "file", "vector_store", "batch"];

/** Strings that broke parsers, SQL, paths or encoders somewhere before. */
export const NASTY_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "../../etc/passwd", "..\\..\\boot.ini", "' OR '1'='1", "\"; DROP TABLE runs; --",
  "file_id = 'x' OR 1=1", "__proto__", "constructor", "%s%n%x", "\ud800", "\udfff\ud800", "\u202e", "𝕏", "\r\nX-Injected: 1",
  "asst_" + "A".repeat(24), "file-" + "Z".repeat(24), "vs_" + "0".repeat(24), "null", "true", "1e999", "NaN", "-0",
];

export const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 257, max: 300_000 }).map((n) => "x".repeat(n)) },
);

/** A JSON value nested `depth` levels deep. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, 5e-324, 101, 10_001, 256_001),
  nastyString,
  fc.integer({ min: 2, max: 90 }).map((d) => nested(d)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.array(fc.constant("x"), { minLength: 33, maxLength: 3000 }),
);

/** Every path inside a JSON value (the value itself is the empty path). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Container = Record<string | number, unknown>;

/** Applies `edit` to the parent of `path` in a deep copy of `body`. */
function editAt(body: unknown, path: (string | number)[], edit: (parent: Container, key: string | number) => void): unknown {
  const copy = structuredClone(body);
  if (path.length === 0) return copy;
  let parent = copy as Container;
  for (const key of path.slice(0, -1)) parent = parent[key] as Container;
  edit(parent, path.at(-1)!);
  return copy;
}

/** A mutated JSON body: a field set to a wrong value, dropped, an extra field, or a different JSON value. */
function mutatedJson(valid: unknown): fc.Arbitrary<{ value: unknown; mutation: string }> {
  const paths = pathsOf(valid);
  const inner = paths.filter((p) => p.length > 0);
  const pickFrom = (list: (string | number)[][]) => fc.nat({ max: list.length - 1 }).map((i) => list[i]!);
  const pick = pickFrom(paths);
  const extra = fc.tuple(pick, nastyString, nastyValue).map(([p, k, v]) => {
    const target = structuredClone(valid);
    let node = target as Container;
    for (const key of p) node = node[key] as Container;
    if (node && typeof node === "object" && !Array.isArray(node)) node[k] = v;
    return { value: target, mutation: `extra ${p.join(".")}` };
  });
  const options = [
    { weight: 1, arbitrary: fc.constant({ value: valid, mutation: "valid" }) },
    { weight: 2, arbitrary: extra },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ value: v, mutation: "random json" })) },
  ];
  // A body-less route's `{}` has no field to set or drop.
  if (inner.length > 0) {
    options.push(
      {
        weight: 5,
        arbitrary: fc.tuple(pickFrom(inner), nastyValue).map(([p, v]) => ({
          value: editAt(valid, p, (parent, key) => (parent[key] = v)),
          mutation: `set ${p.join(".")}`,
        })),
      },
      {
        weight: 2,
        arbitrary: pickFrom(inner).map((p) => ({
          value: editAt(valid, p, (parent, key) => (Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key])),
          mutation: `drop ${p.join(".")}`,
        })),
      },
    );
  }
  return fc.oneof(...options);
}

/** Bodies no JSON encoder would write: broken encodings, hostile nesting, truncation, huge sizes. */
function rawJsonBody(validText: string): fc.Arbitrary<{ body: Uint8Array | string; mutation: string }> {
  const enc = (s: string) => new TextEncoder().encode(s);
  const often = (arbitrary: fc.Arbitrary<{ body: Uint8Array | string; mutation: string }>) => ({ weight: 4, arbitrary });
  return fc.oneof(
    often(fc.nat({ max: validText.length }).map((n) => ({ body: validText.slice(0, n), mutation: "truncated json" }))),
    often(fc.uint8Array({ maxLength: 512 }).map((b) => ({ body: b, mutation: "random bytes" }))),
    often(fc.constantFrom([0xff, 0xfe], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]).map((bad) => ({
      body: new Uint8Array([...enc('{"name":"'), ...bad, ...enc('","model":"gpt-4o","role":"user","content":"x"}')]),
      mutation: "invalid utf-8",
    }))),
    often(fc.constantFrom(63, 64, 65, 1000, 100_000).map((n) => ({ body: "[".repeat(n) + "]".repeat(n), mutation: `deep array ${n}` }))),
    often(fc.constantFrom(63, 64, 65, 5000).map((n) => ({ body: '{"a":'.repeat(n) + "1" + "}".repeat(n), mutation: `deep object ${n}` }))),
    often(fc.constant({ body: "[".repeat(200_000), mutation: "unbalanced" })),
    often(
      fc
      .constantFrom(
        "\ufeff{}", "   ", "null", "[]", "1", '"s"', "true", '{"model":"a","model":1}', '{"temperature":1e999}',
        '{"__proto__":{"polluted":1},"model":"gpt-4o"}', '{"constructor":{"prototype":{"x":1}}}', '{"name":"a\u0000b"}',
        '{"metadata":{"__proto__":"x"}}', "{\"role\":\"user\",\"content\":\"\\ud800\"}", '{"limit":-0}', "{,}", "{'a':1}",
      )
      .map((body) => ({ body, mutation: "odd json" })),
    ),
    // Rare: building and sending 4 MB costs more than the other cases together.
    { weight: 1, arbitrary: fc.constant(0).map(() => ({ body: `{"name":"${"x".repeat(4_300_000)}"}`, mutation: "over body limit" })) },
  );
}

const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=zz", "application/vnd.api+json", "application/json; charset=latin1", "application/jsonx", "*/*",
];

/** A multipart body for POST /v1/files: valid, or broken in one of the ways clients and proxies break it. */
export function multipartBody(): fc.Arbitrary<{ body: Uint8Array; contentType: string; mutation: string }> {
  const filename = fc.oneof(fc.constantFrom("a.txt", "../../x.txt", "a\u0000b.txt", 'q"uote.txt', "名前.md", "", ".."), nastyString);
  const purpose = fc.oneof(fc.constantFrom("assistants", "batch", "user_data", "assistants_output", "", "ASSISTANTS"), nastyString);
  const content = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new TextEncoder().encode("hello\n")));
  const variant = fc.constantFrom("valid", "no file", "no purpose", "file as text", "purpose as file", "truncated", "wrong boundary", "no boundary", "two files", "bad utf8 name", "raw bytes");
  return fc.tuple(variant, filename, purpose, content, fc.nat()).map(([v, name, p, bytes, cut]) => {
    const b = "----fuzz" + "b".repeat(8);
    const parts: (string | Uint8Array)[] = [];
    const filePart = (n: string | Uint8Array) => [
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename="`, n, `"\r\nContent-Type: application/octet-stream\r\n\r\n`, bytes, "\r\n",
    ];
    if (v !== "no purpose") parts.push(v === "purpose as file" ? `--${b}\r\nContent-Disposition: form-data; name="purpose"; filename="p.txt"\r\n\r\n${p}\r\n` : `--${b}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${p}\r\n`);
    if (v === "file as text") parts.push(`--${b}\r\nContent-Disposition: form-data; name="file"\r\n\r\njust text\r\n`);
    else if (v !== "no file") parts.push(...filePart(v === "bad utf8 name" ? new Uint8Array([0x61, 0xff, 0xfe, 0x00, 0x2e]) : name));
    if (v === "two files") parts.push(...filePart("second.txt"));
    parts.push(`--${b}--\r\n`);
    let body = concat(parts);
    if (v === "truncated") body = body.slice(0, cut % Math.max(1, body.length));
    if (v === "raw bytes") body = bytes;
    const contentType = v === "no boundary" ? "multipart/form-data" : v === "wrong boundary" ? "multipart/form-data; boundary=other" : `multipart/form-data; boundary=${b}`;
    return { body, contentType, mutation: `multipart ${v}` };
  });
}

function concat(parts: (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const QUERY_KEYS = ["limit", "order", "after", "before", "run_id", "purpose", "filter", "include[]", "include", "extra"];
const QUERY_VALUES = [
  "1", "20", "100", "10000", "asc", "desc", "in_progress", "assistants", "-1", "0", "101", "abc", "1e3", "", "NaN", "Infinity",
  "9".repeat(400), "0x10", "1.5", " 5", "%", "%zz", "%ff", "%c3%28", "%00", "%E0%A4%A", "step_details.tool_calls[*].file_search.results[*].content",
];

/** A query string; values are sometimes left raw so that broken percent-escapes reach the server. */
function queryString(s: Seeds): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  const value = fc.oneof(
    fc.constantFrom(...QUERY_VALUES),
    fc.constantFrom(...Object.values(s)),
    nastyString.map((x) => x.slice(0, 2000)),
  );
  const pair = fc.tuple(key, value, fc.boolean()).map(([k, v, raw]) => `${pct(k)}=${raw ? v.replace(/[\s#&]/g, "") : pct(v)}`);
  return fc.array(pair, { maxLength: 5 }).map((pairs) => (pairs.length ? `?${pairs.join("&")}` : ""));
}

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, which encodeURIComponent refuses). */
export function pct(s: string): string {
  return [...Buffer.from(s, "utf8")].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`)).join("");
}

/** An id for a path placeholder: usually the seeded one, else another kind's, a stale-looking one or garbage. */
function pathId(s: Seeds, kind: SeedKind): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(s[kind]) },
    { weight: 1, arbitrary: fc.constantFrom(...SEED_KINDS).map((k) => s[k]) },
    { weight: 1, arbitrary: nastyString.map((x) => pct(x.slice(0, 6000))) },
    { weight: 1, arbitrary: fc.constantFrom("%zz", "%ff%fe", "..%2F..%2Fetc%2Fpasswd", "%00", "a".repeat(5000), "%E2%80%AE", "%2e%2e", "x%20y", "%C0%AF") },
  );
}

/** The full request arbitrary over every endpoint, aimed at the objects in `s`. */
export function fuzzRequest(s: Seeds): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ENDPOINTS).chain((endpoint) => {
    const ids = fc.record(Object.fromEntries(SEED_KINDS.map((k) => [k, pathId(s, k)])) as Record<SeedKind, fc.Arbitrary<string>>);
    const method = fc.oneof({ weight: 6, arbitrary: fc.constant(endpoint.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
    const query = fc.oneof({ weight: 1, arbitrary: fc.constant("") }, { weight: endpoint.query ? 3 : 1, arbitrary: queryString(s) });
    return fc.tuple(ids, method, query, bodyFor(endpoint, s)).map(([idMap, m, q, b]) => {
      const path = fillPath(endpoint.path, (k) => (endpoint.path.includes("submit_tool_outputs") && idMap[k] === s[k] ? waitingId(s, k) : idMap[k]));
      const noBody = m === "GET" || m === "HEAD";
      const headers: Record<string, string> = b.contentType === undefined || noBody ? {} : { "content-type": b.contentType };
      return {
        endpoint,
        method: m,
        url: path + q,
        headers,
        body: noBody ? undefined : b.body,
        mutation: m === endpoint.method ? b.mutation : `method ${m}; ${b.mutation}`,
      };
    });
  });
}

function waitingId(s: Seeds, kind: SeedKind): string {
  return kind === "thread" ? s.waitingThread : kind === "run" ? s.waitingRun : s[kind];
}

type Body = { body: Uint8Array | string | undefined; contentType: string | undefined; mutation: string };

function bodyFor(endpoint: Endpoint, s: Seeds): fc.Arbitrary<Body> {
  if (endpoint.body === "multipart") {
    return fc.oneof(
      { weight: 5, arbitrary: multipartBody() },
      { weight: 1, arbitrary: fc.constant({ body: '{"purpose":"assistants"}', contentType: "application/json", mutation: "json to upload" }) },
    );
  }
  const valid = endpoint.valid?.(s) ?? {};
  const text = JSON.stringify(valid);
  const json = mutatedJson(valid).map(({ value, mutation }) => ({ body: JSON.stringify(value) ?? "", contentType: "application/json", mutation }));
  const raw = rawJsonBody(text).map(({ body, mutation }) => ({ body, contentType: "application/json", mutation }));
  const wrongType = fc.constantFrom(...CONTENT_TYPES).map((contentType) => ({ body: text, contentType, mutation: `content-type ${contentType}` }));
  const none = fc.constant<Body>({ body: undefined, contentType: undefined, mutation: "no body" });
  return fc.oneof({ weight: endpoint.body ? 8 : 1, arbitrary: json }, { weight: 3, arbitrary: raw }, { weight: 1, arbitrary: wrongType }, { weight: 1, arbitrary: none });
}
