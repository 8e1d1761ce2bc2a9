// Rules the Playground shares with the server. The page is plain browser JS and cannot import the
// server's TypeScript, so it keeps copies here, in one place; test/unit/playground-rules.test.ts pins each
// one equal to the server's, so a change on either side fails that test instead of drifting silently.

/**
 * Model names the hosted API served; the server maps them to its default chat model
 * (`OPENAI_MODEL_NAME` in src/llm/model-catalog.ts), so the page labels them as such.
 */
export const OPENAI_MODEL_NAME = /^(gpt-(?!oss)|o[1-9](-|$)|chatgpt-|text-davinci|davinci|babbage)/;

/** Run statuses a run never leaves (`isTerminal` in src/runs/state.ts): the page stops following such a run. */
export const TERMINAL_RUN_STATUSES = new Set(["completed", "failed", "cancelled", "expired", "incomplete"]);

/**
 * The `include[]` value that makes runs and steps carry file_search passages
 * (`INCLUDE_FILE_SEARCH_CONTENT` in src/api/runs.ts), so the page can show what was found.
 */
export const INCLUDE_FILE_SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content";

/** The query parameter asking for those passages, ready to append to a runs or steps URL. */
export const INCLUDE_RESULTS = `include[]=${encodeURIComponent(INCLUDE_FILE_SEARCH_CONTENT)}`;

/**
 * The `include[]` values that make Responses API items carry what file_search found and what the code printed
 * (the first two of `RESPONSE_INCLUDES` in src/api/responses.ts): without them the server leaves both out, and
 * a conversation's tool cards would be empty.
 */
export const RESPONSE_INCLUDES = ["file_search_call.results", "code_interpreter_call.outputs"];

/** Those values as a query string, ready to append to a conversation items URL. */
export const RESPONSE_INCLUDE_QUERY = RESPONSE_INCLUDES.map((v) => `include[]=${encodeURIComponent(v)}`).join("&");

/** Response statuses that end a response (`ResponseStatus` in src/api/responses-wire.ts, less queued and in_progress). */
export const TERMINAL_RESPONSE_STATUSES = new Set(["completed", "failed", "incomplete", "cancelled"]);
