/**
 * Every /v1 route of the server, with a valid request body for each (the fuzzer mutates it; the security
 * suite sends it with bad keys), and a seeding helper that creates one object of every kind to aim ids at.
 */
import { toFile } from "openai";
import type OpenAI from "openai";
import type { RunTestApp } from "../../helpers/run-app.js";
import { until, TERMINAL_RUN } from "./figures.js";

/** One object id of every kind (the `{kind}` placeholders of a route). */
export interface Seeds {
  assistant: string;
  thread: string;
  message: string;
  run: string;
  step: string;
  file: string;
  vector_store: string;
  batch: string;
  /** A run waiting at requires_action, and the call it waits for (thread of its own). */
  waitingThread: string;
  waitingRun: string;
  callId: string;
}

export type SeedKind = "assistant" | "thread" | "message" | "run" | "step" | "file" | "vector_store" | "batch";

export interface Endpoint {
  method: "GET" | "POST" | "DELETE";
  /** With `{kind}` placeholders, e.g. `/v1/threads/{thread}/messages/{message}`. */
  path: string;
  /** How the body is sent; absent = none expected. */
  body?: "json" | "multipart";
  /** A valid JSON body for the seeded ids. */
  valid?: (s: Seeds) => Record<string, unknown>;
  /** Query parameters the route reads. */
  query?: "list" | "files-list" | "vs-files-list" | "messages-list" | "include";
}

const fnTool = { type: "function", function: { name: "get_weather", description: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

export const ENDPOINTS: Endpoint[] = [
  {
    method: "POST",
    path: "/v1/assistants",
    body: "json",
    valid: (s) => ({
      model: "gpt-4o",
      name: "fuzz",
      description: "d",
      instructions: "Be terse.",
      tools: [fnTool, { type: "file_search", file_search: { max_num_results: 3, ranking_options: { score_threshold: 0.2 } } }, { type: "code_interpreter" }],
      tool_resources: { file_search: { vector_store_ids: [s.vector_store] }, code_interpreter: { file_ids: [s.file] } },
      metadata: { k: "v" },
      temperature: 0.5,
      top_p: 1,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    }),
  },
  { method: "GET", path: "/v1/assistants", query: "list" },
  { method: "GET", path: "/v1/assistants/{assistant}" },
  { method: "POST", path: "/v1/assistants/{assistant}", body: "json", valid: () => ({ name: "renamed", tools: [fnTool], metadata: { a: "b" }, temperature: null }) },
  { method: "DELETE", path: "/v1/assistants/{assistant}" },

  {
    method: "POST",
    path: "/v1/threads",
    body: "json",
    valid: (s) => ({
      messages: [{ role: "user", content: "hi", attachments: [{ file_id: s.file, tools: [{ type: "code_interpreter" }] }], metadata: { m: "1" } }],
      tool_resources: { code_interpreter: { file_ids: [s.file] } },
      metadata: { t: "1" },
    }),
  },
  { method: "GET", path: "/v1/threads/{thread}" },
  { method: "POST", path: "/v1/threads/{thread}", body: "json", valid: (s) => ({ metadata: { t: "2" }, tool_resources: { file_search: { vector_store_ids: [s.vector_store] } } }) },
  { method: "DELETE", path: "/v1/threads/{thread}" },

  {
    method: "POST",
    path: "/v1/threads/{thread}/messages",
    body: "json",
    valid: (s) => ({ role: "user", content: [{ type: "text", text: "hello" }, { type: "image_file", image_file: { file_id: s.file } }], metadata: { k: "v" } }),
  },
  { method: "GET", path: "/v1/threads/{thread}/messages", query: "messages-list" },
  { method: "GET", path: "/v1/threads/{thread}/messages/{message}" },
  { method: "POST", path: "/v1/threads/{thread}/messages/{message}", body: "json", valid: () => ({ metadata: { edited: "yes" } }) },
  { method: "DELETE", path: "/v1/threads/{thread}/messages/{message}" },

  {
    method: "POST",
    path: "/v1/threads/runs",
    body: "json",
    valid: (s) => ({ assistant_id: s.assistant, thread: { messages: [{ role: "user", content: "go" }], metadata: { r: "1" } }, temperature: 0.2, stream: false }),
  },
  {
    method: "POST",
    path: "/v1/threads/{thread}/runs",
    body: "json",
    query: "include",
    valid: (s) => ({
      assistant_id: s.assistant,
      additional_instructions: "more",
      additional_messages: [{ role: "user", content: "again" }],
      truncation_strategy: { type: "last_messages", last_messages: 4 },
      tool_choice: "auto",
      max_prompt_tokens: 2000,
      metadata: { k: "v" },
    }),
  },
  { method: "GET", path: "/v1/threads/{thread}/runs", query: "list" },
  { method: "GET", path: "/v1/threads/{thread}/runs/{run}" },
  { method: "POST", path: "/v1/threads/{thread}/runs/{run}", body: "json", valid: () => ({ metadata: { tag: "x" } }) },
  { method: "POST", path: "/v1/threads/{thread}/runs/{run}/cancel" },
  {
    method: "POST",
    path: "/v1/threads/{thread}/runs/{run}/submit_tool_outputs",
    body: "json",
    valid: (s) => ({ tool_outputs: [{ tool_call_id: s.callId, output: "42" }] }),
  },
  { method: "GET", path: "/v1/threads/{thread}/runs/{run}/steps", query: "list" },
  { method: "GET", path: "/v1/threads/{thread}/runs/{run}/steps/{step}", query: "include" },

  { method: "POST", path: "/v1/files", body: "multipart" },
  { method: "GET", path: "/v1/files", query: "files-list" },
  { method: "GET", path: "/v1/files/{file}" },
  { method: "GET", path: "/v1/files/{file}/content" },
  { method: "DELETE", path: "/v1/files/{file}" },

  {
    method: "POST",
    path: "/v1/vector_stores",
    body: "json",
    valid: (s) => ({
      name: "vs",
      file_ids: [s.file],
      chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } },
      expires_after: { anchor: "last_active_at", days: 7 },
      metadata: { k: "v" },
    }),
  },
  { method: "GET", path: "/v1/vector_stores", query: "list" },
  { method: "GET", path: "/v1/vector_stores/{vector_store}" },
  { method: "POST", path: "/v1/vector_stores/{vector_store}", body: "json", valid: () => ({ name: "vs2", expires_after: null, metadata: { a: "b" } }) },
  { method: "DELETE", path: "/v1/vector_stores/{vector_store}" },
  {
    method: "POST",
    path: "/v1/vector_stores/{vector_store}/search",
    body: "json",
    valid: () => ({
      query: "hello world",
      max_num_results: 5,
      filters: { type: "or", filters: [{ type: "eq", key: "lang", value: "en" }, { type: "in", key: "n", value: [1, 2] }] },
      ranking_options: { ranker: "auto", score_threshold: 0 },
      rewrite_query: false,
    }),
  },
  { method: "POST", path: "/v1/vector_stores/{vector_store}/files", body: "json", valid: (s) => ({ file_id: s.file, attributes: { lang: "en", n: 1, ok: true } }) },
  { method: "GET", path: "/v1/vector_stores/{vector_store}/files", query: "vs-files-list" },
  { method: "GET", path: "/v1/vector_stores/{vector_store}/files/{file}" },
  { method: "POST", path: "/v1/vector_stores/{vector_store}/files/{file}", body: "json", valid: () => ({ attributes: { lang: "de" } }) },
  { method: "DELETE", path: "/v1/vector_stores/{vector_store}/files/{file}" },
  { method: "GET", path: "/v1/vector_stores/{vector_store}/files/{file}/content" },
  {
    method: "POST",
    path: "/v1/vector_stores/{vector_store}/file_batches",
    body: "json",
    valid: (s) => ({ files: [{ file_id: s.file, attributes: { b: "1" } }], chunking_strategy: { type: "auto" } }),
  },
  { method: "GET", path: "/v1/vector_stores/{vector_store}/file_batches/{batch}" },
  { method: "POST", path: "/v1/vector_stores/{vector_store}/file_batches/{batch}/cancel" },
  { method: "GET", path: "/v1/vector_stores/{vector_store}/file_batches/{batch}/files", query: "vs-files-list" },
];

/** Fills a route's placeholders with `pick(kind)`, e.g. the seeded ids or hostile strings. */
export function fillPath(path: string, pick: (kind: SeedKind) => string): string {
  return path.replace(/\{(\w+)\}/g, (_, kind: SeedKind) => pick(kind));
}

/** The seeded id of each placeholder; run routes use the run's own thread. */
export function seededPath(e: Endpoint, s: Seeds): string {
  const waiting = e.path.includes("submit_tool_outputs");
  return fillPath(e.path, (kind) => {
    if (waiting && kind === "thread") return s.waitingThread;
    if (waiting && kind === "run") return s.waitingRun;
    return s[kind];
  });
}

/**
 * One object of every kind: a text file in a vector store (indexed), an assistant, a thread with a completed
 * run (its message and step), a file batch, and a second thread whose run waits at requires_action.
 */
export async function seedObjects(t: RunTestApp): Promise<Seeds> {
  const c = t.client;
  const file = await c.files.create({ file: await toFile(Buffer.from("hello world, the fuzzer was here.\n".repeat(20)), "seed.txt"), purpose: "assistants" });
  const store = await c.vectorStores.create({ name: "seed", file_ids: [file.id] });
  const batch = await c.vectorStores.fileBatches.create(store.id, { file_ids: [file.id] });
  const assistant = await t.assistant({ tools: [fnTool] });
  const thread = await c.beta.threads.create({ messages: [{ role: "user", content: "seed" }] });
  const run = await c.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  await waitTerminal(c, thread.id, run.id);
  const message = (await c.beta.threads.messages.list(thread.id)).data[0]!;
  const step = (await c.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data[0];
  const waiting = await waitingRun(t, assistant.id);
  await t.services.ingestor.idle();
  return {
    assistant: assistant.id,
    thread: thread.id,
    message: message.id,
    run: run.id,
    step: step?.id ?? "step_missing",
    file: file.id,
    vector_store: store.id,
    batch: batch.id,
    ...waiting,
  };
}

async function waitingRun(t: RunTestApp, assistantId: string): Promise<Pick<Seeds, "waitingThread" | "waitingRun" | "callId">> {
  const c = t.client;
  // Earlier runs must be done: the stand-in's script queue is shared by every chat call.
  await until(() => t.services.repos.runs.unfinished().every((r) => r.status === "requires_action"), 10_000, "runs to settle");
  t.ollama.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Oslo" } }] });
  const thread = await c.beta.threads.create({ messages: [{ role: "user", content: "weather?" }] });
  const run = await c.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
  const done = await waitTerminal(c, thread.id, run.id);
  const callId = done.required_action?.submit_tool_outputs.tool_calls[0]?.id ?? "call_missing";
  return { waitingThread: thread.id, waitingRun: run.id, callId };
}

export async function waitTerminal(c: OpenAI, threadId: string, runId: string, timeoutMs = 10_000): Promise<OpenAI.Beta.Threads.Run> {
  return until(
    async () => {
      const run = await c.beta.threads.runs.retrieve(runId, { thread_id: threadId });
      return TERMINAL_RUN.has(run.status) || run.status === "requires_action" ? run : null;
    },
    timeoutMs,
    `run ${runId}`,
    5,
  );
}
