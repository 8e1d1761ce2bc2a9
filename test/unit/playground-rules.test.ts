/**
 * The Playground is plain browser JS, so it keeps copies of a few server rules in src/playground/rules.js.
 * Each copy is pinned equal to the server's here: changing either side without the other fails this test.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { INCLUDE_FILE_SEARCH_CONTENT } from "../../src/api/runs.js";
import type { RunStatus } from "../../src/api/wire.js";
import { INCLUDE_INPUT_IMAGE_URL, RESPONSE_INCLUDES } from "../../src/api/responses.js";
import type { ResponseStatus } from "../../src/api/responses-wire.js";
import { ModelCatalog } from "../../src/llm/model-catalog.js";
import { isTerminal } from "../../src/runs/state.js";
import * as rules from "../../src/playground/rules.js";

/** Every run status; the Record type makes the typecheck fail when the server adds or drops one. */
const ALL_STATUSES: Record<RunStatus, true> = {
  queued: true,
  in_progress: true,
  requires_action: true,
  cancelling: true,
  cancelled: true,
  failed: true,
  completed: true,
  incomplete: true,
  expired: true,
};

/** Every response status and whether it ends the response (Record: the typecheck fails on a new status). */
const RESPONSE_STATUS_ENDS: Record<ResponseStatus, boolean> = {
  queued: false,
  in_progress: false,
  completed: true,
  failed: true,
  incomplete: true,
  cancelled: true,
};

describe("the Playground's copies of server rules", () => {
  it("Responses include[] values: the server's, but the input image URL (the page never shows it)", () => {
    expect(rules.RESPONSE_INCLUDES).toEqual(RESPONSE_INCLUDES.filter((i) => i !== INCLUDE_INPUT_IMAGE_URL));
    expect(new URLSearchParams(rules.RESPONSE_INCLUDE_QUERY).getAll("include[]")).toEqual(rules.RESPONSE_INCLUDES);
  });

  it("terminal response statuses: every status but queued and in_progress", () => {
    const ends = (Object.keys(RESPONSE_STATUS_ENDS) as ResponseStatus[]).filter((s) => RESPONSE_STATUS_ENDS[s]);
    expect([...rules.TERMINAL_RESPONSE_STATUSES].sort()).toEqual(ends.sort());
  });

  it("terminal run statuses: the same set as the server's isTerminal", () => {
    const serverTerminal = (Object.keys(ALL_STATUSES) as RunStatus[]).filter((s) => isTerminal(s));
    expect([...rules.TERMINAL_RUN_STATUSES].sort()).toEqual(serverTerminal.sort());
  });

  it("include[] for file_search passages: the server's string, and the query the page sends parses back to it", () => {
    expect(rules.INCLUDE_FILE_SEARCH_CONTENT).toBe(INCLUDE_FILE_SEARCH_CONTENT);
    expect(new URLSearchParams(rules.INCLUDE_RESULTS).getAll("include[]")).toEqual([INCLUDE_FILE_SEARCH_CONTENT]);
  });

  it("OpenAI model-name pattern: the same regular expression as the server's", () => {
    // The server keeps its pattern private to model-catalog.ts, so read it from the source.
    const source = fs.readFileSync(new URL("../../src/llm/model-catalog.ts", import.meta.url), "utf8");
    const literal = /^const OPENAI_MODEL_NAME = \/(.+)\/([a-z]*);$/m.exec(source);
    expect(literal, "OPENAI_MODEL_NAME not found in src/llm/model-catalog.ts (renamed or moved? update this test)").not.toBeNull();
    const server = new RegExp(literal![1]!, literal![2]);
    expect(rules.OPENAI_MODEL_NAME.source).toBe(server.source);
    expect(rules.OPENAI_MODEL_NAME.flags).toBe(server.flags);
  });

  it("OpenAI model-name pattern: the page labels as the server's default exactly the names the server maps to it", () => {
    const catalog = new ModelCatalog({
      default_chat_model: "server-default",
      default_embedding_model: "",
      chat_models: { "server-default": { ollama: "server-default:tag", context_length: 8192 } },
      embedding_models: {},
    });
    const names = [
      "gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "o1", "o1-mini", "o3", "o3-mini", "o4-mini", "chatgpt-4o-latest",
      "text-davinci-003", "davinci-002", "babbage-002",
      "o", "o10x", "oo1", "gpt-oss:20b", "gpt-oss", "llama3.2:3b", "qwen2.5:7b", "gemma2", "mistral", "my-gpt-4o", "GPT-4o", "openhermes",
    ];
    for (const name of names) {
      const mapped = catalog.resolveChat(name).tag === "server-default:tag";
      expect(rules.OPENAI_MODEL_NAME.test(name), name).toBe(mapped);
    }
  });
});
