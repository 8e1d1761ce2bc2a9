import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { ConfigError, loadConfig } from "../../src/config.js";
import { rawError, sdkError, sdkFor, useTestApp } from "../helpers/contract.js";
import { expectMatchesSchema } from "../helpers/openapi.js";

const KEY = "sk-local-contract-secret";

describe("auth: API_KEY set", () => {
  const app = useTestApp({ API_KEY: KEY });

  it("the right key works", async () => {
    const client = sdkFor(app(), { apiKey: KEY });
    const a = await client.beta.assistants.create({ model: "gpt-4o" });
    expectMatchesSchema(a, "AssistantObject");
    expect((await client.beta.assistants.list()).data.map((x) => x.id)).toEqual([a.id]);
  });

  it("a missing key is 401 AuthenticationError", async () => {
    // The SDK insists on a key; a null default header removes the Authorization it would send.
    const client = sdkFor(app(), { apiKey: KEY, defaultHeaders: { Authorization: null } });
    const err = await sdkError(client.beta.assistants.list(), OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.error.type).toBe("invalid_request_error");
    expect(err.error.message).toMatch(/didn't provide an API key/);
  });

  it("a wrong key is 401 AuthenticationError, on every resource", async () => {
    const t = app();
    const wrong = sdkFor(t, { apiKey: `${KEY}x` });
    for (const call of [
      wrong.beta.assistants.list(),
      wrong.beta.assistants.create({ model: "gpt-4o" }),
      wrong.beta.threads.create(),
      wrong.beta.threads.messages.list("thread_x"),
      wrong.files.list(),
    ]) {
      const err = await sdkError(call, OpenAI.AuthenticationError);
      expect(err.status).toBe(401);
      expect(err.error).toMatchObject({ message: "Incorrect API key provided.", code: "invalid_api_key" });
    }
    expect(t.services.repos.assistants.all()).toEqual([]);
    expect(t.services.repos.threads.all()).toEqual([]);
  });

  it("raw: no header, a non-Bearer scheme and an empty token are 401 in the error shape", async () => {
    const t = app();
    await rawError(await t.request("/v1/assistants"), 401);
    await rawError(await t.request("/v1/assistants", { headers: { authorization: `Basic ${KEY}` } }), 401);
    await rawError(await t.request("/v1/assistants", { headers: { authorization: "Bearer " } }), 401);
    const ok = await t.request("/v1/assistants", { headers: { authorization: `Bearer ${KEY}` } });
    expect(ok.status).toBe(200);
  });

  it("auth comes before routing and validation: an unknown route or bad body without a key is 401", async () => {
    const t = app();
    await rawError(await t.request("/v1/assistants/asst_x"), 401);
    await rawError(await t.request("/v1/assistants", { method: "POST", headers: { "content-type": "application/json" }, body: "{bad" }), 401);
  });

  it("/health stays open without a key", async () => {
    const res = await app().request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });
});

describe("auth: API_KEY unset", () => {
  const app = useTestApp();

  it("any bearer token (or none) is accepted on loopback", async () => {
    const t = app();
    expect((await t.request("/v1/assistants")).status).toBe(200);
    expect((await sdkFor(t, { apiKey: "anything" }).beta.assistants.list()).data).toEqual([]);
  });
});

describe("auth: config refuses an open network binding", () => {
  it.each(["0.0.0.0", "::", "192.168.1.10"])("HOST=%s without API_KEY throws a ConfigError saying why", (host) => {
    let thrown: unknown;
    try {
      loadConfig({ HOST: host });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain(host);
    expect(message).toContain("API_KEY");
  });

  it("HOST=0.0.0.0 with API_KEY is allowed (with TLS, or ALLOW_PLAINTEXT=1: test/unit/tls-config.test.ts)", () => {
    expect(loadConfig({ HOST: "0.0.0.0", API_KEY: KEY, ALLOW_PLAINTEXT: "1" }).apiKey).toBe(KEY);
  });

  it.each(["127.0.0.1", "localhost", "::1"])("HOST=%s without API_KEY is allowed", (host) => {
    expect(loadConfig({ HOST: host }).apiKey).toBeNull();
  });
});
