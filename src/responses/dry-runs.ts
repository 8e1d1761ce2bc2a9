/**
 * What the Responses API answers about a request without executing or storing anything: how many input
 * tokens it would send (POST /responses/input_tokens), and a conversation compacted (POST /responses/compact).
 */
import type { CompactParams, InputTokensParams } from "../api/responses.js";
import type { CompactedResponse } from "../api/responses-wire.js";
import { badRequest } from "../errors.js";
import { ModelError, type ChatModel, type TokenCount } from "../llm/chat-model.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import { estimate, tokenCounter } from "../llm/token-count.js";
import { streamChatTurn } from "../runs/chat-turn.js";
import { COMPACT_INSTRUCTION, compactedResponse } from "./compaction.js";
import { conversationIdOf, type ConversationService } from "./conversations.js";
import { modelRequest } from "./model-request.js";
import { prepareResponse, type Prepared, type PrepareDeps } from "./prepare.js";
import { zeroUsage } from "./response-writer.js";

export interface DryRunDeps extends PrepareDeps {
  chat: ChatModel;
  models: ModelCatalog;
  conversations: Pick<ConversationService, "historyOf">;
}

/**
 * The input tokens a create request would send: instructions, history and input as the model sees them, and
 * the tool definitions offered. Counted as the prompt fitter counts, the number `truncation` decides by: with
 * the model's own tokenizer where its engine has one (the embedded engine: exact), else by `estimate` (about
 * three characters a token, on the high side: Ollama exposes no tokenizer), also when the model cannot be
 * asked now. Nothing is stored or created.
 */
export async function countInputTokens(p: InputTokensParams, deps: DryRunDeps): Promise<{ object: "response.input_tokens"; input_tokens: number }> {
  // A conversation's items count as its history, read without taking it (nothing runs).
  const conversationId = conversationIdOf(p.conversation);
  if (conversationId !== null && p.previous_response_id) throw badRequest("previous_response_id and conversation cannot be used together: a conversation carries its own history.", "previous_response_id");
  const history = conversationId === null ? undefined : deps.conversations.historyOf(conversationId, "conversation");
  const prepared = await prepareResponse({ ...p, model: p.model ?? "default" }, deps, { dryRun: true, ...(history ? { history } : {}) });
  const hint = prepared.offered.length > 0 ? deps.tools.hint(prepared.choice) : null;
  const tools = deps.tools.offered(prepared.offered, prepared.choice);
  const messages = [...prepared.messages, ...(hint ? [{ role: "system" as const, content: hint }] : [])];
  const toolTokens = tools.length > 0 ? Math.ceil(JSON.stringify(tools).length / 3) : 0;
  return { object: "response.input_tokens", input_tokens: (await counterFor(prepared.response.model, deps))(messages) + toolTokens };
}

async function counterFor(model: string, deps: DryRunDeps): Promise<TokenCount> {
  try {
    return tokenCounter(await deps.chat.details(deps.models.resolveChat(model).tag));
  } catch {
    return estimate; // the model is not reachable now: counting needs no model call
  }
}

/**
 * Compacts a conversation (input and/or a stored chain) into its user messages and one compaction item whose
 * summary the model writes; the items can be sent back as input to go on in less context. Nothing is stored.
 * A model failure is an HTTP error here: nothing else could report it.
 */
export async function compactConversation(p: CompactParams, deps: DryRunDeps): Promise<CompactedResponse> {
  const params = { model: p.model ?? deps.models.defaultChatModel, input: p.input ?? undefined, previous_response_id: p.previous_response_id, instructions: p.instructions, truncation: "auto" as const };
  const prepared = await prepareResponse(params, deps, { dryRun: true, inputOptional: true });
  const asked: Prepared = { ...prepared, messages: [...prepared.messages, { role: "user", content: COMPACT_INSTRUCTION }], offered: [], format: undefined };
  delete asked.visionMessages; // the summary is of the words; images are named in them
  const summarize = async () => {
    const request = await modelRequest(asked, deps);
    if ("error" in request) throw badRequest(request.error.message, "input", request.error.code);
    return streamChatTurn(deps.chat, request, new AbortController().signal, () => undefined);
  };
  const turn = await summarize().catch((err: unknown) => {
    throw err instanceof ModelError ? err.toApiError() : err;
  });
  const usage = { ...zeroUsage(), input_tokens: turn.promptTokens, output_tokens: turn.completionTokens, total_tokens: turn.promptTokens + turn.completionTokens };
  usage.output_tokens_details.reasoning_tokens = turn.thinkingTokens;
  return compactedResponse([...prepared.history, ...prepared.input], turn.text.trim(), usage, deps.clock());
}
