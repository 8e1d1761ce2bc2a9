// Tool call cards inside a run: code_interpreter (code and output), file_search (the passages found) and
// function calls (arguments, then the output, or a box for it while the run waits).
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
