/** Types for rules.js (a plain browser module, also imported by a unit test from Node). */
export const OPENAI_MODEL_NAME: RegExp;
export const TERMINAL_RUN_STATUSES: ReadonlySet<string>;
export const INCLUDE_FILE_SEARCH_CONTENT: string;
export const INCLUDE_RESULTS: string;
export const RESPONSE_INCLUDES: readonly string[];
export const RESPONSE_INCLUDE_QUERY: string;
export const TERMINAL_RESPONSE_STATUSES: ReadonlySet<string>;
