/**
 * Shared pieces of the run and streaming contract suites: a fresh run app per test, a fast poller, a raw
 * SSE reader, schema checks for runs and steps, and the function tool most tests offer.
 */
import { expect } from "vitest";
import type OpenAI from "openai";
import type { Env } from "../../src/config.js";
import type { ServiceOverrides } from "../../src/composition/services.js";
import type { OllamaFakeOptions } from "../fakes/ollama-fake.js";
import { expectMatchesSchema } from "./openapi.js";
import { useFresh, wireBody } from "./contract.js";
import { makeRunApp, type RunTestApp } from "./run-app.js";

type Run = OpenAI.Beta.Threads.Run;
type RunStep = OpenAI.Beta.Threads.Runs.RunStep;

/** A fresh run app (own DATA_DIR, own Ollama stand-in) for every test of the enclosing describe. */
export function useRunApp(env: Env = {}, fakeOptions: OllamaFakeOptions = {}, overrides: ServiceOverrides = {}): () => RunTestApp {
  return useFresh("useRunApp", () => makeRunApp(env, fakeOptions, overrides));
}

export const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

export const TIME_TOOL = {
  type: "function" as const,
  function: { name: "get_time", description: "Local time in a city.", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

export const TERMINAL = ["completed", "failed", "cancelled", "expired", "incomplete"];

/**
 * Polls a run every few ms (not the SDK's 100 ms) until `until` says stop; fails after `timeoutMs`. Every
 * run read on the way is checked against the spec.
 */
export async function waitForRun(
  client: OpenAI,
  threadId: string,
  runId: string,
  until: (run: Run) => boolean = (r) => TERMINAL.includes(r.status) || r.status === "requires_action",
  timeoutMs = 5000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    expectRunSchema(run);
    if (until(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Waits until `check` returns a truthy value (polling every few ms). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text of an assistant message (all text parts joined). */
export function textOf(message: OpenAI.Beta.Threads.Message): string {
  return message.content.map((p) => (p.type === "text" ? p.text.value : "")).join("");
}

/**
 * The thread's newest message once it is an assistant's whose text passes `ready` (by default: has any), as a
 * poller sees a run's reply come in.
 */
export function waitForReply(t: RunTestApp, threadId: string, ready: (text: string) => boolean = (text) => text !== "", what = "the partial reply") {
  return waitFor(async () => {
    const [m] = (await t.client.beta.threads.messages.list(threadId)).data;
    return m?.role === "assistant" && ready(textOf(m)) ? m : null;
  }, 5000, what);
}

/**
 * Starts a polled run whose model sends "Hel", "lo" and then goes silent with the connection open; returns once
 * its partial reply is stored (a run no one streams stores it within 100 ms of its first token).
 */
export async function stalledRun(t: RunTestApp) {
  const { assistant, thread } = await seed(t);
  t.ollama.script({ chunks: ["Hel", "lo"], stallAfterChunks: 2 });
  const run = await t.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
  const message = await waitForReply(t, thread.id);
  return { assistant, thread, run, message };
}

/** Creates an assistant and a thread holding one user message. */
export async function seed(t: RunTestApp, content = "hello there", assistant: Record<string, unknown> = {}) {
  const a = await t.assistant(assistant);
  const thread = await t.client.beta.threads.create({ messages: [{ role: "user", content }] });
  return { assistant: a, thread };
}

export function expectRunSchema(run: unknown): void {
  expectMatchesSchema(run, "RunObject");
}

export function expectStepSchema(step: unknown): void {
  expectMatchesSchema(step, "RunStepObject");
}

/** Every step of a run, oldest first, each checked against the spec. */
export async function stepsOf(client: OpenAI, threadId: string, runId: string): Promise<RunStep[]> {
  const page = await client.beta.threads.runs.steps.list(runId, { thread_id: threadId, order: "asc" });
  expectMatchesSchema(wireBody(page), "ListRunStepsResponse");
  return page.data;
}

export interface SseEvent {
  event: string;
  /** Parsed JSON, or the raw text for `done` (`[DONE]`). */
  data: any;
  /** When the event was parsed (ms, performance.now()). */
  at: number;
}

/** Parses a complete SSE text into events; every `data:` line except done's must be JSON. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    const event = parseBlock(block);
    if (event) events.push(event);
  }
  return events;
}

function parseBlock(block: string): SseEvent | null {
  const lines = block.split("\n").filter((l) => l !== "" && !l.startsWith(":"));
  if (lines.length === 0) return null;
  const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
  const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
  expect(event, `SSE block without event: ${block}`).toBeDefined();
  const parsed: unknown = event === "done" ? data : JSON.parse(data);
  if (event === "done") expect(data).toBe("[DONE]");
  return { event: event!, data: parsed, at: performance.now() };
}

/** Reads an SSE response body event by event, calling `onEvent` as each arrives; resolves with them all. */
export async function readSse(res: Response, onEvent: (e: SseEvent) => boolean | void = () => undefined): Promise<SseEvent[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type") ?? "").toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      const event = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (!event) continue;
      events.push(event);
      if (onEvent(event) === false) {
        await reader.cancel();
        return events;
      }
    }
  }
}

/** POSTs a JSON body with `stream: true` to the in-process app and returns the raw response. */
export function postStream(t: RunTestApp, pathname: string, body: Record<string, unknown>): Promise<Response> {
  return t.request(`/v1${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
}

/** Event names with the `thread.` prefix dropped (`run.created`…) for readable golden lists. */
export function names(events: SseEvent[]): string[] {
  return events.map((e) => e.event.replace(/^thread\./, ""));
}
