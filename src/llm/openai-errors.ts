/**
 * Turns what the `openai` client throws while talking to an OpenAI-compatible server (vLLM, llama.cpp's
 * llama-server, LM Studio…) into a ModelError a person can act on, worded like the Ollama ones.
 */
import { APIConnectionError, APIError } from "openai";
import { ModelError } from "./chat-model.js";

export interface OpenAiCallContext {
  /** LLM_BASE_URL, quoted back in messages. */
  baseUrl: string;
  model?: string;
  /** `request`: before the reply started; `stream`: while reading a streamed reply. */
  phase: "request" | "stream";
}

export function toModelError(err: unknown, ctx: OpenAiCallContext): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof APIConnectionError) {
    if (ctx.phase === "stream") return brokeMidReply(ctx, err);
    return unreachable(ctx.baseUrl);
  }
  if (err instanceof APIError && err.status !== undefined) return fromStatus(err.status, err.message, ctx);
  // Status-less APIErrors are the server's own `data: {"error": ...}` line in the middle of a stream.
  if (err instanceof APIError) return new ModelError("stream", `The model server failed while generating the reply: ${err.message}`);
  if (ctx.phase === "stream") return brokeMidReply(ctx, err);
  return new ModelError("http", `The model server at ${ctx.baseUrl} sent a reply that could not be read: ${text(err)}`);
}

export function unreachable(baseUrl: string): ModelError {
  return new ModelError("unreachable", `The OpenAI-compatible model server is not reachable at ${baseUrl}: start it (vLLM, llama-server, LM Studio…) or set LLM_BASE_URL.`);
}

export function timedOut(ms: number, what: string): ModelError {
  return new ModelError("timeout", `The model server sent nothing for ${ms / 1000}s while ${what}: it may be loading the model or overloaded; try again, or raise MODEL_TIMEOUT_MS.`);
}

export function notServed(model: string, baseUrl: string, served: readonly string[]): ModelError {
  const list = served.length > 0 ? ` (it serves: ${served.slice(0, 10).join(", ")})` : "";
  return new ModelError("model_not_found", `Model '${model}' is not served by the model server at ${baseUrl}${list}: set CHAT_MODEL or EMBEDDING_MODEL to a model it serves, or name one.`);
}

function fromStatus(status: number, message: string, ctx: OpenAiCallContext): ModelError {
  if (status === 404 && ctx.model) {
    // The model is unknown, or nothing OpenAI-compatible answers at that URL (a base URL without /v1).
    return new ModelError("model_not_found", `The model server at ${ctx.baseUrl} answered 404 for model '${ctx.model}' (${message}): set CHAT_MODEL or EMBEDDING_MODEL to a model it serves (GET ${ctx.baseUrl}/models lists them), and check that LLM_BASE_URL is its OpenAI-compatible base URL (it usually ends in /v1).`);
  }
  if (status === 401 || status === 403) return new ModelError("http", `The model server at ${ctx.baseUrl} refused the key (HTTP ${status}): set LLM_API_KEY to a key it accepts.`);
  return new ModelError("http", `The model server answered HTTP ${status}: ${message}`);
}

function brokeMidReply(ctx: OpenAiCallContext, err: unknown): ModelError {
  return new ModelError("stream", `The connection to the model server at ${ctx.baseUrl} broke in the middle of the reply (${text(err)}): check that it is still running and try again.`);
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
