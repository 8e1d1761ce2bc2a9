import fs from "node:fs";
import { afterEach, beforeEach, expect } from "vitest";
import OpenAI, { APIError } from "openai";
import type { ServiceOverrides } from "../../src/composition/services.js";
import type { Env } from "../../src/config.js";
import { BASE_URL, makeTestApp, type TestApp } from "./test-app.js";

/**
 * A fresh app for every test of the enclosing `describe` (own DATA_DIR, own database), closed and its
 * DATA_DIR removed afterwards. Call at describe level; call the returned getter inside tests.
 */
export function useTestApp(env: Env = {}, overrides: ServiceOverrides = {}): () => TestApp {
  return useFresh("useTestApp", () => makeTestApp(env, overrides));
}

/**
 * A fresh app from `make` for every test of the enclosing describe, closed and its DATA_DIR removed after
 * each test. Call at describe level; call the returned getter inside tests.
 */
export function useFresh<T extends { dataDir: string; close(): Promise<void> }>(name: string, make: () => Promise<T>): () => T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    if (!done) return;
    await done.close();
    fs.rmSync(done.dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!current) throw new Error(`${name}(): no app outside a test`);
    return current;
  };
}

/** An SDK client on the in-process app with its own options (another API key, extra headers…). */
export function sdkFor(t: TestApp, options: ConstructorParameters<typeof OpenAI>[0] = {}): OpenAI {
  return new OpenAI({
    apiKey: "test-key",
    baseURL: BASE_URL,
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(t.app.request(String(url), init as RequestInit)),
    ...options,
  });
}

/** The JSON body a list call received, as sent (the SDK keeps it on the page; its type hides it). */
export function wireBody(page: object): unknown {
  return (page as { body?: unknown }).body;
}

export interface WireError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Awaits a call that must fail and returns the SDK's error, checked to be an instance of `kind`. */
export async function sdkError<E extends APIError>(
  call: Promise<unknown>,
  kind: new (...args: never[]) => E,
): Promise<E & { error: WireError }> {
  const err = await call.then(
    (value) => {
      throw new Error(`expected ${kind.name}, got a success: ${JSON.stringify(value)?.slice(0, 300)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  const apiError = err as E & { error: WireError };
  expectErrorShape({ error: apiError.error });
  return apiError;
}

/** Checks a raw response is an error of `status` with exactly `{error: {message, type, param, code}}`. */
export async function rawError(res: Response, status: number): Promise<WireError> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: WireError };
  expectErrorShape(body);
  return body.error;
}

export function expectErrorShape(body: unknown): void {
  expect(Object.keys(body as object)).toEqual(["error"]);
  const error = (body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof error.message).toBe("string");
  expect(error.message).not.toBe("");
  expect(typeof error.type).toBe("string");
  expect(error.param === null || typeof error.param === "string").toBe(true);
  expect(error.code === null || typeof error.code === "string").toBe(true);
}

/** POSTs a raw JSON text (or any body) to the in-process app. */
export function postRaw(t: TestApp, pathname: string, body: BodyInit, contentType = "application/json"): Promise<Response> {
  return t.request(pathname, { method: "POST", headers: { "content-type": contentType }, body });
}
