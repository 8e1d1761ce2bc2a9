/**
 * Shared pieces of the code_interpreter contract suites (test/contract/code-interpreter*.test.ts): scripting
 * the model to call the tool, running to the end, and reading back steps, calls, messages and what the model
 * was sent — every run step and message checked against the spec on the way.
 */
import { expect } from "vitest";
import type OpenAI from "openai";
import { toFile } from "openai";
import type { ChatBody, ChatScript, ChatStep } from "../fakes/ollama-fake.js";
import { expectMatchesSchema } from "./openapi.js";
import type { RunTestApp } from "./run-app.js";
import { stepsOf, waitForRun } from "./runs.js";

type Run = OpenAI.Beta.Threads.Run;
type RunStep = OpenAI.Beta.Threads.Runs.RunStep;
type Message = OpenAI.Beta.Threads.Message;
export type CiCall = OpenAI.Beta.Threads.Runs.CodeInterpreterToolCall;

export const CI_TOOL = { type: "code_interpreter" as const };

/** A model turn that calls code_interpreter once per piece of code (several pieces: parallel calls). */
export function callCode(...code: string[]): ChatStep {
  return { toolCalls: code.map((c) => ({ name: "code_interpreter", arguments: { code: c } })) };
}

export interface CiResult {
  run: Run;
  steps: RunStep[];
  /** Every code_interpreter call of the run, in order. */
  calls: CiCall[];
  /** The thread's messages, oldest first. */
  messages: Message[];
  /** The assistant message the run wrote (its last one), if any. */
  reply: Message | undefined;
}

/**
 * Scripts the model (`turns`, one per model call), runs the assistant on the thread and waits until the run
 * ends; returns its steps (each validated as RunStepObject) and the thread's messages (each a MessageObject).
 */
export function runScripted(t: RunTestApp, assistantId: string, threadId: string, ...turns: ChatScript[]): Promise<CiResult> {
  return runScriptedWithin(15_000, t, assistantId, threadId, ...turns);
}

/** `runScripted` for a run that may take longer than usual to end (hundreds of MB of inputs to move). */
export async function runScriptedWithin(timeoutMs: number, t: RunTestApp, assistantId: string, threadId: string, ...turns: ChatScript[]): Promise<CiResult> {
  t.ollama.script(...turns);
  const created = await t.client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
  const run = await waitForRun(t.client, threadId, created.id, undefined, timeoutMs);
  return collect(t, threadId, run);
}

/** Steps, calls and messages of a finished run, all schema-checked. */
export async function collect(t: RunTestApp, threadId: string, run: Run): Promise<CiResult> {
  const steps = await stepsOf(t.client, threadId, run.id);
  for (const step of steps) expectMatchesSchema(step, "RunStepObject");
  const page = await t.client.beta.threads.messages.list(threadId, { order: "asc" });
  for (const message of page.data) expectMatchesSchema(message, "MessageObject");
  const calls = steps.flatMap((s) => (s.step_details.type === "tool_calls" ? s.step_details.tool_calls : [])).filter((c): c is CiCall => c.type === "code_interpreter");
  const reply = page.data.filter((m) => m.role === "assistant" && m.run_id === run.id).at(-1);
  return { run, steps, calls, messages: page.data, reply };
}

/** An assistant with code_interpreter and a thread with one user message: the usual starting point. */
export async function ciThread(t: RunTestApp, content = "please compute", assistant: Record<string, unknown> = {}, thread: Record<string, unknown> = {}) {
  const a = await t.assistant({ tools: [CI_TOOL], ...assistant });
  const th = await t.client.beta.threads.create({ messages: [{ role: "user", content }], ...thread } as never);
  return { assistantId: a.id, threadId: th.id };
}

/** The logs output of a call (its first output, as the server always writes logs first). */
export function logsOf(call: CiCall | undefined): string {
  expect(call, "a code_interpreter call").toBeDefined();
  const first = call!.code_interpreter.outputs[0];
  expect(first?.type).toBe("logs");
  return first?.type === "logs" ? first.logs : "";
}

/** The `role: "tool"` messages of one recorded model request. */
export function toolMessages(body: ChatBody | undefined): ChatBody["messages"] {
  expect(body, "a recorded model request").toBeDefined();
  return body!.messages.filter((m) => m.role === "tool");
}

/** The text of a message (its text parts joined) and its annotations. */
export function textAndAnnotations(message: Message | undefined): { text: string; annotations: OpenAI.Beta.Threads.Annotation[] } {
  expect(message, "an assistant reply").toBeDefined();
  const parts = message!.content.filter((p): p is OpenAI.Beta.Threads.TextContentBlock => p.type === "text");
  return { text: parts.map((p) => p.text.value).join(""), annotations: parts.flatMap((p) => p.text.annotations) };
}

/** Uploads bytes as a file with purpose `assistants`. */
export async function upload(t: RunTestApp, name: string, content: string | Uint8Array): Promise<string> {
  const file = await t.client.files.create({ file: await toFile(Buffer.from(content), name), purpose: "assistants" });
  return file.id;
}

/** The bytes of a file, downloaded through the SDK. */
export async function download(t: RunTestApp, fileId: string): Promise<Buffer> {
  const res = await t.client.files.content(fileId);
  return Buffer.from(await res.arrayBuffer());
}
