import type { ChatMessage, ChatModel, ChatRequest, TokenCount } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import { thinkFor } from "../llm/thinking.js";
import { tokenCounter } from "../llm/token-count.js";
import { resolveModel } from "../runs/request-plan.js";
import type { Toolbox } from "../tools/toolbox.js";
import type { Prepared } from "./prepare.js";

/**
 * The model request of a prepared response: the resolved model, the prompt fitted to its context
 * (`truncation`), the tools after tool_choice, the output format and sampling options. An input that cannot
 * be fitted is an error for the response (`invalid_prompt`), saying how to make it fit.
 */
export async function modelRequest(prepared: Prepared, deps: { chat: ChatModel; models: ModelCatalog; tools: Toolbox }): Promise<ChatRequest | { error: { code: string; message: string } }> {
  const { response } = prepared;
  const { tag, numCtx, details } = await resolveModel(response.model, deps);
  // A vision model (Ollama reports the capability) is sent the user's images; others read their names.
  const prompt = prepared.visionMessages && details.capabilities.includes("vision") ? prepared.visionMessages : prepared.messages;
  const reserve = response.max_output_tokens ?? Math.min(1024, Math.floor(numCtx / 4));
  const budget = numCtx - reserve;
  const hint = prepared.offered.length > 0 ? deps.tools.hint(prepared.choice) : null;
  const tools = deps.tools.offered(prepared.offered, prepared.choice);
  const think = thinkFor(response.reasoning.effort, details);
  const count = tokenCounter(details);
  const messages = fit([...prompt, ...(hint ? [{ role: "system" as const, content: hint }] : [])], budget, response.truncation, count);
  if (!messages) {
    return {
      error: {
        code: "invalid_prompt",
        message: `The input does not fit in the model's context window (${details.countTokens ? "" : "about "}${count(prompt)} tokens for ${budget} available). Shorten the input, set truncation to "auto" to drop the oldest items, or use a model with a larger context.`,
      },
    };
  }
  return {
    model: tag,
    messages,
    ...(tools.length > 0 ? { tools, ...(deps.tools.mustCall(prepared.choice) ? { require_tool_call: true } : {}) } : {}),
    ...(prepared.format ? { format: prepared.format } : {}),
    ...(think !== undefined ? { think } : {}),
    options: {
      num_ctx: numCtx,
      ...(response.temperature !== 1 ? { temperature: response.temperature } : {}),
      ...(response.top_p !== 1 ? { top_p: response.top_p } : {}),
      ...(response.presence_penalty !== 0 ? { presence_penalty: response.presence_penalty } : {}),
      ...(response.frequency_penalty !== 0 ? { frequency_penalty: response.frequency_penalty } : {}),
      ...(response.max_output_tokens !== null ? { num_predict: response.max_output_tokens } : {}),
    },
  };
}

/**
 * The prompt within `budget` tokens. `auto` drops the oldest turns after the system messages (never the last
 * user turn and what follows it); `disabled`, or nothing left to drop, gives null.
 */
function fit(messages: ChatMessage[], budget: number, truncation: "auto" | "disabled", count: TokenCount): ChatMessage[] | null {
  if (count(messages) <= budget) return messages;
  if (truncation === "disabled") return null;
  const lead = messages.findIndex((m) => m.role !== "system");
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  if (lead === -1 || lastUser <= lead) return null;
  const dropping = (n: number) => [...messages.slice(0, lead), ...messages.slice(lead + n)];
  // The fewest oldest turns to drop, by bisection: an exact count tokenizes the whole prompt each time.
  let fits = lastUser - lead; // drops that fit (all that may be dropped, checked next)
  if (count(dropping(fits)) > budget) return null;
  for (let tooFew = 0; fits - tooFew > 1; ) {
    const mid = (tooFew + fits) >> 1;
    if (count(dropping(mid)) <= budget) fits = mid;
    else tooFew = mid;
  }
  const kept = dropping(fits);
  // A tool result must not lead the history without the call it answers.
  while (kept[lead]?.role === "tool") kept.splice(lead, 1);
  return kept;
}
