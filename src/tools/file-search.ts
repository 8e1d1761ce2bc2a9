import type { FileSearchCallItem } from "../api/responses-wire.js";
import type { FileSearchResult } from "../api/wire.js";
import { newId } from "../ids.js";
import type { BuiltinCall, BuiltinTool, ToolScope } from "./builtin-tool.js";

export const FILE_SEARCH_DESCRIPTION =
  "Search the user's uploaded files for passages relevant to a query. Call it whenever the answer may be in " +
  "the files. Results are numbered [1], [2], ...; cite the ones you use with their number in square brackets.";

/** What file_search needs from retrieval: one search over the scope's vector stores. */
export interface ScopeFileSearcher {
  /** Results with their content (stripped from API responses unless `include[]` asks for it). */
  search(scope: ToolScope, query: string, signal: AbortSignal): Promise<{ results: FileSearchResult[] }>;
}

/**
 * file_search: the model names a query, the scope's stores answer with numbered passages. The results are
 * stored on the step, and the model reads those same stored results in later turns, so a resumed run sees
 * exactly what the first attempt saw.
 */
export function fileSearchTool(searcher: ScopeFileSearcher): BuiltinTool<"file_search"> {
  return {
    type: "file_search",
    definition: {
      name: "file_search",
      description: FILE_SEARCH_DESCRIPTION,
      parameters: {
        type: "object",
        properties: { query: { type: "string", description: "What to look for, in the words the documents would use." } },
        required: ["query"],
      },
    },
    begin(id, args, config) {
      const ranking = config.file_search?.ranking_options;
      return { id, type: "file_search", file_search: { ...(ranking ? { ranking_options: ranking } : {}), results: [], query: String(args.query ?? "") } };
    },
    async run(call, { scope, signal }) {
      const { results } = await searcher.search(scope, call.file_search.query ?? "", signal);
      return { ...call, file_search: { ...call.file_search, results } };
    },
    replay(call, firstSource) {
      // The model sees what it searched for beside what it found (steps from before `query` was recorded have none).
      return { arguments: call.file_search.query === undefined ? {} : { query: call.file_search.query }, output: passages(call, firstSource) };
    },
    sources: (call) => call.file_search.results ?? [],
    inputDeltas: (call, index) => [{ index, ...call }], // nothing the model wrote to stream: it opens whole
    outputDelta: () => null, // results arrive with step.completed, as the hosted API sent them
    responses: {
      itemType: "file_search_call",
      open: (call) => ({
        item: { id: newId("fs_"), type: "file_search_call", status: "in_progress", queries: [call.file_search.query ?? ""], results: null },
        events: [{ type: "response.file_search_call.in_progress" }, { type: "response.file_search_call.searching", apply: (item) => void (item.status = "searching") }],
      }),
      finish: (call) => [
        {
          type: "response.file_search_call.completed",
          apply: (item) => Object.assign(item, { status: "completed", results: resultItems(call.file_search.results ?? []) }),
        },
      ],
      callOf: (item) => ({
        id: item.id,
        type: "file_search",
        file_search: {
          query: item.queries.join(" "),
          results: (item.results ?? []).map((r) => ({ file_id: r.file_id, file_name: r.filename, score: r.score, content: [{ type: "text" as const, text: r.text }] })),
        },
      }),
      hidden: { include: "file_search_call.results", field: "results" },
    },
  };
}

function resultItems(results: FileSearchResult[]): NonNullable<FileSearchCallItem["results"]> {
  return results.map((r) => ({ file_id: r.file_id, filename: r.file_name, text: r.content?.map((c) => c.text).join(" ") ?? "", score: r.score, attributes: {} }));
}

/** Numbered passages `[n] file (page p):` — the numbers the model cites (see runs/citations.ts). */
function passages(call: BuiltinCall<"file_search">, firstSource: number): string {
  const results = call.file_search.results ?? [];
  if (results.length === 0) return "No passage in the attached files matches this query.";
  return results
    .map((r, i) => `[${firstSource + i}] ${r.file_name}${r.page ? ` (page ${r.page})` : ""}:\n${r.content?.map((c) => c.text).join(" ") ?? ""}`)
    .join("\n\n");
}
