import type { ReasoningEffort } from "../api/common.js";
import type { ModelDetails, Think } from "./chat-model.js";

/**
 * Ollama's `think` for a caller's reasoning effort, or undefined to send none.
 * - A server that takes `reasoning_effort` itself (OpenAI-compatible) gets the effort as a level, as gpt-oss does.
 * - A model without the `thinking` capability gets none: Ollama would refuse the request. The effort is then
 *   accepted and has no effect, so an app written for a hosted reasoning model still runs on a local one.
 * - gpt-oss takes levels (`low|medium|high`) and cannot stop thinking: `none`/`minimal` ask for `low`, and no
 *   effort leaves its own default (medium), as OpenAI's default effort is medium too.
 * - Other thinking models take on/off: `none`/`minimal` turn thinking off; any other effort, or none given,
 *   turns it on explicitly, so Ollama always returns the reasoning apart from the reply instead of inline.
 */
export function thinkFor(effort: ReasoningEffort | null | undefined, details: Pick<ModelDetails, "capabilities" | "family" | "takes_reasoning_effort">): Think | undefined {
  if (details.takes_reasoning_effort) return level(effort);
  if (!details.capabilities.includes("thinking")) return undefined;
  if (details.family === "gptoss") return level(effort);
  return effort !== "none" && effort !== "minimal";
}

/** A level for a model that takes levels and cannot stop thinking; no effort given: its own default. */
function level(effort: ReasoningEffort | null | undefined): Think | undefined {
  if (effort === null || effort === undefined) return undefined;
  if (effort === "none" || effort === "minimal" || effort === "low") return "low";
  return effort === "medium" ? "medium" : "high";
}
