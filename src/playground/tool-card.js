// Tool call cards inside a run or a response: code_interpreter (code and output), file_search (the passages
// found) and function calls (arguments, then the output, or a box for it while the run waits). A Responses API
// item is first turned into the run step call it corresponds to (itemCard), so both APIs look the same.
import { imageOf, openFile } from "./files.js";
import { h, prettyJson, statusLabel } from "./render.js";

/**
 * One tool call: code_interpreter (code + output), file_search (passages found), or function (arguments,
 * output, or an output box while the run waits for it).
 * @param {any} call
 * @param {string} stepStatus
 * @param {Set<string>} pending
 */
export function toolCard(call, stepStatus, pending) {
  const status = h("span", { class: `chip ${stepStatus}` }, statusLabel(stepStatus));
  if (call.type === "code_interpreter") {
    const ci = call.code_interpreter ?? { input: "", outputs: [] };
    return h(
      "details",
      { class: "tool code_interpreter", open: true },
      h("summary", null, h("span", { class: "tool-name" }, "code_interpreter"), status),
      h("div", { class: "label" }, "Code"),
      h("pre", { class: "code" }, ci.input || " "),
      ci.outputs?.length ? h("div", { class: "label" }, "Output") : null,
      (ci.outputs ?? []).map((/** @type {any} */ o) =>
        o?.type === "logs" ? h("pre", { class: "output" }, o.logs) : o?.type === "image" ? imageOf(o.image.file_id) : null,
      ),
    );
  }
  if (call.type === "file_search") {
    const results = call.file_search?.results ?? [];
    return h(
      "details",
      { class: "tool file_search", open: true },
      h(
        "summary",
        null,
        h("span", { class: "tool-name" }, "file_search"),
        h("span", { class: "muted small" }, stepStatus === "completed" ? `${results.length} passage${results.length === 1 ? "" : "s"} found` : "searching…"),
        status,
      ),
      results.length
        ? h(
            "ol",
            { class: "passages" },
            results.map((/** @type {any} */ r) =>
              h(
                "li",
                null,
                h(
                  "div",
                  { class: "passage-head" },
                  h("button", { type: "button", class: "link", onclick: () => void openFile(r.file_id, r.page ?? null) }, r.file_name ?? r.file_id),
                  r.page ? h("span", { class: "muted small" }, `p. ${r.page}`) : null,
                  h("span", { class: "muted small" }, `score ${Number(r.score).toFixed(2)}`),
                ),
                r.content?.length
                  ? h(
                      "details",
                      { class: "passage-toggle" },
                      // Two lines until opened; the whole passage when open.
                      h("summary", { class: "passage", title: "Show the whole passage" }, r.content.map((/** @type {any} */ c) => c.text).join("\n")),
                    )
                  : null,
              ),
            ),
          )
        : null,
    );
  }
  if (call.type === "function") {
    const fn = call.function ?? { name: "", arguments: "" };
    const waiting = pending.has(call.id);
    const fieldId = `output-${call.id}`;
    return h(
      "details",
      { class: `tool function${waiting ? " waiting" : ""}`, open: true },
      h("summary", null, h("span", { class: "tool-name" }, `function ${fn.name}`), waiting ? h("span", { class: "chip in_progress" }, "Needs output") : status),
      h("div", { class: "label" }, "Arguments"),
      h("pre", { class: "code" }, prettyJson(fn.arguments || "{}")),
      fn.output !== null && fn.output !== undefined
        ? [h("div", { class: "label" }, "Output"), h("pre", { class: "output" }, fn.output)]
        : waiting
          ? [
              h("label", { class: "label", for: fieldId }, `Output of ${fn.name}`),
              h("textarea", { id: fieldId, class: "tool-output", rows: "3", "data-call-id": call.id, placeholder: 'e.g. {"temperature_c": 18}' }),
            ]
          : null,
    );
  }
  return h("details", { class: "tool", open: true }, h("summary", null, call.type ?? "tool call", status));
}

/**
 * A Responses API tool item (file_search_call, code_interpreter_call, function_call) as the same card a run
 * step's call gets.
 * @param {any} item
 * @param {string | null} [output] a function_call's output (its function_call_output item), when there is one
 */
export function itemCard(item, output = null) {
  return toolCard(callOfItem(item, output), ITEM_STEP_STATUS[item.status] ?? item.status, new Set());
}

/** Item statuses as the step statuses the cards show (searching and interpreting are still in progress). */
const ITEM_STEP_STATUS = /** @type {Record<string, string>} */ ({
  in_progress: "in_progress",
  searching: "in_progress",
  interpreting: "in_progress",
  completed: "completed",
  incomplete: "incomplete",
  failed: "failed",
});

/**
 * The run step call a Responses item corresponds to: the page's copy of the server's `callOf`
 * (src/tools/file-search.ts, src/tools/code-interpreter.ts), the other way round from the items.
 * @param {any} item
 * @param {string | null} output
 */
export function callOfItem(item, output) {
  if (item.type === "file_search_call") {
    const results = (item.results ?? []).map((/** @type {any} */ r) => ({ file_id: r.file_id, file_name: r.filename, score: r.score, content: [{ type: "text", text: r.text }] }));
    return { id: item.id, type: "file_search", file_search: { query: (item.queries ?? []).join(" "), results } };
  }
  if (item.type === "code_interpreter_call") {
    const outputs = (item.outputs ?? []).map((/** @type {any} */ o) => {
      if (o?.type !== "image") return o;
      // The server's image URL is the written file's content (`/v1/files/<id>/content`): show that file.
      const fileId = /\/files\/([^/]+)\/content$/.exec(o.url ?? "")?.[1];
      return fileId ? { type: "image", image: { file_id: fileId } } : { type: "logs", logs: `[image: ${o.url}]` };
    });
    return { id: item.id, type: "code_interpreter", code_interpreter: { input: item.code ?? "", outputs } };
  }
  if (item.type === "function_call") return { id: item.id, type: "function", function: { name: item.name, arguments: item.arguments ?? "", output } };
  return { id: item.id, type: item.type };
}
