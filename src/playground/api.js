// The page's only way to the server: our own public /v1 API (plus /health), exactly as an SDK would call it.
import { readSse } from "./sse.js";

const KEY_STORAGE = "local-assistants.apiKey";

/** An error the API answered (status > 0) or a request that never got an answer (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {string | null} [code]
   */
  constructor(status, message, code = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

/** @param {string | null} key */
export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** @type {((message: string) => Promise<boolean>) | null} */
let askForKey = null;
/** @type {Promise<boolean> | null} */
let pendingAsk = null;

/**
 * Called when the server answers 401: shows the key prompt; resolves true once a new key is stored (the
 * request is then retried), false when the person gave up. Concurrent 401s share one prompt.
 * @param {(message: string) => Promise<boolean>} handler
 */
export function onUnauthorized(handler) {
  askForKey = handler;
}

/**
 * @param {string} method
 * @param {string} path under /v1, e.g. `/assistants`
 * @param {unknown} [body] JSON value, or FormData for uploads
 * @param {{ signal?: AbortSignal, raw?: boolean }} [options] raw: return the Response (downloads, streams)
 * @returns {Promise<any>}
 */
export async function api(method, path, body, options = {}) {
  for (;;) {
    /** @type {Record<string, string>} */
    const headers = {};
    const key = apiKey();
    if (key) headers.authorization = `Bearer ${key}`;
    /** @type {BodyInit | undefined} */
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    /** @type {Response} */
    let res;
    try {
      res = await fetch(`/v1${path}`, { method, headers, body: payload, signal: options.signal });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new ApiError(0, "The local-assistants server did not answer: is it still running? Start it with `npm start`.");
    }
    if (res.ok) return options.raw ? res : res.json();
    const error = await errorOf(res);
    if (res.status === 401 && askForKey) {
      pendingAsk ??= askForKey(error.message).finally(() => (pendingAsk = null));
      if (await pendingAsk) continue;
    }
    throw error;
  }
}

/**
 * POSTs with `stream: true` and yields the events of a run or a response, `data` parsed. Both end with
 * `[DONE]`: runs in an `event: done`, responses as bare data; either is yielded as `done` with data null.
 * @param {string} path
 * @param {Record<string, unknown>} body
 * @param {AbortSignal} [signal]
 * @returns {AsyncGenerator<{ event: string, data: any }>}
 */
export async function* streamEvents(path, body, signal) {
  const res = await api("POST", path, { ...body, stream: true }, { raw: true, signal });
  for await (const { event, data } of readSse(res)) {
    if (event === "done" || data === "[DONE]") {
      yield { event: "done", data: null };
      return;
    }
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      parsed = { message: data };
    }
    yield { event, data: parsed };
  }
}

/**
 * `GET /health`: server version and what Ollama has. Not under /v1 and never 401; on a server with a key,
 * it answers only `{status: "ok"}` unless the request carries the key, so the page sends it when it has one.
 */
export async function health() {
  try {
    const key = apiKey();
    const res = await fetch("/health", { cache: "no-store", headers: key ? { authorization: `Bearer ${key}` } : {} });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json();
  } catch {
    return null;
  }
}

/** @param {unknown} err */
export function isAbort(err) {
  return err instanceof DOMException && err.name === "AbortError";
}

/** @param {Response} res */
async function errorOf(res) {
  try {
    const body = await res.json();
    const e = body?.error;
    if (e?.message) return new ApiError(res.status, String(e.message), e.code ?? null);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, `The server answered HTTP ${res.status} ${res.statusText}`.trim());
}
