/**
 * Keys with their own data (API_KEYS_FILE): every object belongs to the project of the key that made it, and
 * another project's key gets 404 for it, in lists too, on every resource there is today. An admin key creates
 * and revokes keys over HTTP. Driven through the real SDK, one client per key.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toFile } from "openai";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/objects/api-keys.js";
import { rawError, sdkError, sdkFor, type WireError } from "../helpers/contract.js";
import type { RunTestApp } from "../helpers/run-app.js";
import { useRunApp, waitForRun } from "../helpers/runs.js";
import { startServer } from "../helpers/server-process.js";

const ALICE = "sk-proj-alice-secret";
const BOB = "sk-proj-bob-secret";
const ADMIN = "sk-admin-ops-secret";
const DEFAULT = "sk-plain-api-key";

const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-keys-"));
const KEYS_FILE = path.join(keysDir, "keys.json");
fs.writeFileSync(
  KEYS_FILE,
  JSON.stringify({
    keys: [
      { name: "alice", sha256: sha256Hex(ALICE), project: "a" },
      { name: "bob", sha256: sha256Hex(BOB), project: "b", admin: false },
      { name: "ops", sha256: sha256Hex(ADMIN), project: "ops", admin: true },
    ],
  }),
);
afterAll(() => fs.rmSync(keysDir, { recursive: true, force: true }));

/** Alice's objects of every kind: an assistant on her store, a thread with a message and a completed run, a file, a store with a batch. */
async function alicesWorld(t: RunTestApp, alice: OpenAI) {
  const file = await alice.files.create({ file: await toFile(Buffer.from("Alice's private notes on the merger."), "notes.txt"), purpose: "assistants" });
  const store = await alice.vectorStores.create({ name: "alice", file_ids: [file.id] });
  const batch = await alice.vectorStores.fileBatches.create(store.id, { file_ids: [file.id] });
  await t.services.ingestor.idle();
  const assistant = await alice.beta.assistants.create({
    model: "gpt-4o",
    tools: [{ type: "file_search" }],
    tool_resources: { file_search: { vector_store_ids: [store.id] } },
  });
  const thread = await alice.beta.threads.create({ messages: [{ role: "user", content: "What is in my notes?" }] });
  const message = (await alice.beta.threads.messages.list(thread.id)).data[0]!;
  const run = await alice.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  expect((await waitForRun(alice, thread.id, run.id)).status).toBe("completed");
  const step = (await alice.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data[0]!;
  return { file, store, batch, assistant, thread, message, run, step };
}

/** The call fails for another project's `id` exactly as it does for an id that never existed. */
async function sameAsMissing(id: string, prefix: string, call: (id: string) => Promise<unknown>): Promise<void> {
  const missing = `${prefix}${"x".repeat(24)}`;
  const answer = async (of: string) => {
    const err = await sdkError(call(of), OpenAI.APIError);
    const { message, param, code } = err.error as WireError;
    return [err.status, message.replaceAll(of, "<id>"), param, code];
  };
  const theirs = await answer(id);
  expect(theirs[0]).toBeGreaterThanOrEqual(400);
  expect(theirs).toEqual(await answer(missing));
}

async function notFound(call: Promise<unknown>): Promise<void> {
  const err = await sdkError(call, OpenAI.NotFoundError);
  expect(err.status).toBe(404);
}

describe("projects: API_KEYS_FILE keys see their own project's objects only", () => {
  const app = useRunApp({ API_KEYS_FILE: KEYS_FILE, API_KEY: DEFAULT });

  it("another project's key gets 404 for every object of every resource, and empty lists", async () => {
    const t = app();
    const alice = sdkFor(t, { apiKey: ALICE });
    const w = await alicesWorld(t, alice);

    for (const other of [sdkFor(t, { apiKey: BOB }), sdkFor(t, { apiKey: DEFAULT }), sdkFor(t, { apiKey: ADMIN })]) {
      // Lists: nothing of Alice's, on every collection.
      expect((await other.beta.assistants.list()).data).toEqual([]);
      expect((await other.files.list()).data).toEqual([]);
      expect((await other.vectorStores.list()).data).toEqual([]);

      // Reads, writes and deletes by id: 404, as if the object did not exist.
      await notFound(other.beta.assistants.retrieve(w.assistant.id));
      await notFound(other.beta.assistants.update(w.assistant.id, { name: "taken over" }));
      await notFound(other.beta.assistants.delete(w.assistant.id));
      await notFound(other.beta.threads.retrieve(w.thread.id));
      await notFound(other.beta.threads.update(w.thread.id, { metadata: { x: "y" } }));
      await notFound(other.beta.threads.messages.list(w.thread.id));
      await notFound(other.beta.threads.messages.retrieve(w.message.id, { thread_id: w.thread.id }));
      await notFound(other.beta.threads.messages.create(w.thread.id, { role: "user", content: "planted" }));
      await notFound(other.beta.threads.runs.list(w.thread.id));
      await notFound(other.beta.threads.runs.retrieve(w.run.id, { thread_id: w.thread.id }));
      await notFound(other.beta.threads.runs.steps.list(w.run.id, { thread_id: w.thread.id }));
      await notFound(other.beta.threads.runs.steps.retrieve(w.step.id, { thread_id: w.thread.id, run_id: w.run.id }));
      await notFound(other.files.retrieve(w.file.id));
      await notFound(other.files.content(w.file.id));
      await notFound(other.files.delete(w.file.id));
      await notFound(other.vectorStores.retrieve(w.store.id));
      await notFound(other.vectorStores.update(w.store.id, { name: "taken over" }));
      await notFound(other.vectorStores.search(w.store.id, { query: "merger" }));
      await notFound(other.vectorStores.files.list(w.store.id));
      await notFound(other.vectorStores.files.retrieve(w.file.id, { vector_store_id: w.store.id }));
      await notFound(other.vectorStores.files.content(w.file.id, { vector_store_id: w.store.id }));
      await notFound(other.vectorStores.fileBatches.retrieve(w.batch.id, { vector_store_id: w.store.id }));
      await notFound(other.vectorStores.fileBatches.listFiles(w.batch.id, { vector_store_id: w.store.id }));
      await notFound(other.vectorStores.delete(w.store.id));
      await notFound(other.beta.threads.delete(w.thread.id));

      // Knowing an id does not let a key use the object in its own: the answer is the one for an id that does not exist.
      const own = await other.beta.threads.create();
      await sameAsMissing(w.file.id, "file-", (id) => other.vectorStores.create({ name: "mine", file_ids: [id] }));
      await sameAsMissing(w.store.id, "vs_", (id) =>
        other.beta.assistants.create({ model: "gpt-4o", tools: [{ type: "file_search" }], tool_resources: { file_search: { vector_store_ids: [id] } } }),
      );
      await sameAsMissing(w.assistant.id, "asst_", (id) => other.beta.threads.runs.create(own.id, { assistant_id: id }));
      await sameAsMissing(w.file.id, "file-", (id) =>
        other.beta.threads.messages.create(own.id, { role: "user", content: "hi", attachments: [{ file_id: id, tools: [{ type: "file_search" }] }] }),
      );
    }

    // Alice still has everything, unchanged.
    expect((await alice.beta.assistants.retrieve(w.assistant.id)).name).toBeNull();
    expect((await alice.beta.threads.messages.list(w.thread.id)).data.map((m) => m.role)).toEqual(["assistant", "user"]);
    expect(await (await alice.files.content(w.file.id)).text()).toBe("Alice's private notes on the merger.");
    expect((await alice.vectorStores.search(w.store.id, { query: "merger" })).data[0]!.file_id).toBe(w.file.id);
    expect((await alice.vectorStores.retrieve(w.store.id)).name).toBe("alice");
  });

  it("each project lists its own objects; a cursor naming another project's object is no cursor", async () => {
    const t = app();
    const alice = sdkFor(t, { apiKey: ALICE });
    const bob = sdkFor(t, { apiKey: BOB });
    const a1 = await alice.beta.assistants.create({ model: "gpt-4o", name: "a1" });
    const b1 = await bob.beta.assistants.create({ model: "gpt-4o", name: "b1" });
    const a2 = await alice.beta.assistants.create({ model: "gpt-4o", name: "a2" });
    expect((await alice.beta.assistants.list({ order: "asc" })).data.map((x) => x.id)).toEqual([a1.id, a2.id]);
    expect((await bob.beta.assistants.list()).data.map((x) => x.id)).toEqual([b1.id]);
    await sameAsMissing(b1.id, "asst_", (id) => alice.beta.assistants.list({ after: id }));
    await sameAsMissing(a1.id, "asst_", (id) => bob.beta.assistants.list({ before: id }));
  });
});

describe("projects: the admin key manages keys over HTTP", () => {
  const app = useRunApp({ API_KEYS_FILE: KEYS_FILE });
  const admin = (t: RunTestApp, pathname: string, init: RequestInit = {}, key = ADMIN) =>
    t.request(`/v1/organization${pathname}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...init.headers } });

  it("creates a project key that works at once in its own project, lists it redacted, and revokes it", async () => {
    const t = app();
    const created = await admin(t, "/projects/c/api_keys", { method: "POST", body: JSON.stringify({ name: "ci" }) });
    expect(created.status).toBe(200);
    const key = (await created.json()) as { id: string; object: string; value: string; redacted_value: string; name: string };
    expect(key).toMatchObject({ object: "organization.project.api_key", name: "ci" });
    expect(key.value).toMatch(/^sk-proj-/);
    expect(key.redacted_value).not.toContain(key.value.slice(8, -4));

    const carol = sdkFor(t, { apiKey: key.value });
    const mine = await carol.beta.assistants.create({ model: "gpt-4o", name: "carol's" });
    expect((await carol.beta.assistants.list()).data.map((x) => x.id)).toEqual([mine.id]);
    await notFound(sdkFor(t, { apiKey: ALICE }).beta.assistants.retrieve(mine.id));

    const listed = (await (await admin(t, "/projects/c/api_keys")).json()) as { object: string; data: { id: string; value?: string }[] };
    expect(listed.object).toBe("list");
    expect(listed.data.map((k) => k.id)).toEqual([key.id]);
    expect(listed.data[0]!.value).toBeUndefined(); // the secret is in the create answer only
    expect(((await (await admin(t, "/projects/a/api_keys")).json()) as { data: { name: string }[] }).data.map((k) => k.name)).toEqual(["alice"]);

    const revoked = await admin(t, `/projects/c/api_keys/${key.id}`, { method: "DELETE" });
    expect(await revoked.json()).toEqual({ id: key.id, object: "organization.project.api_key.deleted", deleted: true });
    const err = await sdkError(carol.beta.assistants.list(), OpenAI.AuthenticationError);
    expect(err.error.code).toBe("invalid_api_key");
    await rawError(await admin(t, `/projects/c/api_keys/${key.id}`), 404);
    // What the revoked key made is still its project's: a new key for "c" finds it.
    const again = (await (await admin(t, "/projects/c/api_keys", { method: "POST", body: JSON.stringify({ name: "ci-2" }) })).json()) as { value: string };
    expect((await sdkFor(t, { apiKey: again.value }).beta.assistants.retrieve(mine.id)).name).toBe("carol's");
  });

  it("creates and revokes admin keys; the key file's keys are listed, never their secrets", async () => {
    const t = app();
    const made = (await (await admin(t, "/admin_api_keys", { method: "POST", body: JSON.stringify({ name: "second admin" }) })).json()) as { id: string; value: string; object: string };
    expect(made.object).toBe("organization.admin_api_key");
    const listed = (await (await admin(t, "/admin_api_keys", {}, made.value)).json()) as { data: { name: string; redacted_value: string }[] };
    expect(listed.data.map((k) => k.name)).toEqual(["ops", "second admin"]);
    expect(JSON.stringify(listed)).not.toContain(made.value);
    expect(JSON.stringify(listed)).not.toContain(sha256Hex(ADMIN));
    expect((await admin(t, `/admin_api_keys/${made.id}`, { method: "DELETE" })).status).toBe(200);
    await rawError(await admin(t, "/admin_api_keys", {}, made.value), 401);
  });

  it("a project key is 403 on every key endpoint and changes nothing", async () => {
    const t = app();
    for (const [pathname, method, body] of [
      ["/admin_api_keys", "GET", undefined],
      ["/admin_api_keys", "POST", { name: "mine now" }],
      ["/projects/a/api_keys", "GET", undefined],
      ["/projects/b/api_keys", "POST", { name: "into bob" }],
    ] as const) {
      const err = await rawError(await admin(t, pathname, { method, ...(body ? { body: JSON.stringify(body) } : {}) }, ALICE), 403);
      expect(err.code).toBe("insufficient_permissions");
    }
    expect(((await (await admin(t, "/projects/b/api_keys")).json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it("a bad key request is a 400 in OpenAI's shape", async () => {
    const t = app();
    const err = await rawError(await admin(t, "/projects/bad%20name/api_keys", { method: "POST", body: JSON.stringify({ name: "x" }) }), 400);
    expect(err.message).toMatch(/project names/);
    await rawError(await admin(t, "/projects/c/api_keys", { method: "POST", body: JSON.stringify({}) }), 400);
  });
});

describe("projects: a restart without API_KEYS_FILE keeps projects apart", () => {
  // Real server processes: whether to isolate is decided once per process, at boot.
  it("API_KEY alone on a data directory that holds other projects' objects sees none of them", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-projects-"));
    try {
      const withKeys = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", API_KEYS_FILE: KEYS_FILE });
      let aliceAssistant: string;
      try {
        const alice = new OpenAI({ apiKey: ALICE, baseURL: withKeys.baseURL, maxRetries: 0 });
        aliceAssistant = (await alice.beta.assistants.create({ model: "gpt-4o", name: "alice's" })).id;
      } finally {
        await withKeys.stop();
      }
      // The operator removes alice's key: a file with only a default-project key, booted once. Her key's row
      // is gone, her objects are not.
      const onlyDefault = path.join(keysDir, "only-default.json");
      fs.writeFileSync(onlyDefault, JSON.stringify({ keys: [{ name: "plain", sha256: sha256Hex("sk-other-default"), project: "default" }] }));
      await (await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", API_KEYS_FILE: onlyDefault })).stop();
      const plain = await startServer({ DATA_DIR: dataDir, OLLAMA_HOST: "http://127.0.0.1:9", API_KEY: DEFAULT });
      try {
        const client = new OpenAI({ apiKey: DEFAULT, baseURL: plain.baseURL, maxRetries: 0 });
        expect((await client.beta.assistants.list()).data).toEqual([]);
        await notFound(client.beta.assistants.retrieve(aliceAssistant));
        const own = await client.beta.assistants.create({ model: "gpt-4o", name: "default's" });
        expect((await client.beta.assistants.list()).data.map((a) => a.id)).toEqual([own.id]);
      } finally {
        await plain.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
