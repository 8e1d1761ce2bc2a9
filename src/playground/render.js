// DOM building blocks: every piece of server or user text goes in as a text node, never as HTML.

/**
 * h("div", { class: "x", onclick: fn }, "text", child) — a tiny createElement.
 * Attributes: `class`, `on<event>` listeners, booleans (true → present, false/null → absent), strings.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = String(value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Array<any>} children
 */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * Text with `backtick` spans as <code> (error messages name commands that way: `ollama serve`).
 * @param {string} text
 */
export function richText(text) {
  const frag = document.createDocumentFragment();
  String(text)
    .split(/(`[^`\n]+`)/)
    .forEach((part) => {
      if (part.startsWith("`") && part.endsWith("`") && part.length > 2) frag.append(h("code", null, part.slice(1, -1)));
      else if (part) frag.append(part);
    });
  return frag;
}

/**
 * The little Markdown local models use most, as DOM: ``` fenced blocks ```, `code`, **bold**. Everything
 * else (lists, headings) stays plain text, which reads fine with white-space: pre-wrap.
 * @param {string} text
 */
export function markdownish(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text).split(/(```[^\n]*\n[\s\S]*?```)/);
  const isFence = (/** @type {number} */ i) => i % 2 === 1 && i < parts.length;
  parts.forEach((raw, i) => {
    const fence = isFence(i) ? /^```[^\n]*\n([\s\S]*?)\n?```$/.exec(raw) : null;
    if (fence) {
      frag.append(h("pre", { class: "code" }, h("code", null, fence[1] ?? "")));
      return;
    }
    // A block already starts on its own line: drop the line break on either side of it.
    let part = raw;
    if (isFence(i + 1)) part = part.replace(/\n$/, "");
    if (isFence(i - 1)) part = part.replace(/^\n/, "");
    for (const piece of part.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*)/)) {
      if (/^`[^`\n]+`$/.test(piece)) frag.append(h("code", null, piece.slice(1, -1)));
      else if (/^\*\*[^*\n]+\*\*$/.test(piece)) frag.append(h("strong", null, piece.slice(2, -2)));
      else if (piece) frag.append(piece);
    }
  });
  return frag;
}

/**
 * A clear, visible error with what to do about it.
 * @param {string} title
 * @param {string} message
 * @param {string | null} [code]
 */
export function errorBox(title, message, code = null) {
  return h(
    "div",
    { class: "callout error", role: "alert" },
    h("strong", null, title),
    h("p", null, richText(message)),
    code ? h("p", { class: "muted small" }, `code: ${code}`) : null,
  );
}

/**
 * @param {string} text
 * @param {"info" | "warn"} [kind]
 */
export function notice(text, kind = "info") {
  return h("div", { class: `callout ${kind}`, role: "status" }, richText(text));
}

/** Chip text for a status: vector store files and run steps share these words. */
const STATUS_LABEL = /** @type {Record<string, string>} */ ({
  uploading: "Uploading…",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  incomplete: "Incomplete",
});

/** @param {string} status an unknown status shows as it is */
export function statusLabel(status) {
  return STATUS_LABEL[status] ?? status;
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The sources a message cites, numbered in order of first citation (one number per file and page).
 * @param {any[]} annotations
 * @returns {{ key: string, n: number, fileId: string, page: number | null, quote: string }[]}
 */
export function numberSources(annotations) {
  /** @type {Map<string, { key: string, n: number, fileId: string, page: number | null, quote: string }>} */
  const byKey = new Map();
  for (const a of annotations) {
    if (a.type !== "file_citation") continue;
    const fileId = a.file_citation?.file_id;
    if (!fileId) continue;
    const page = typeof a.file_citation.page === "number" ? a.file_citation.page : null;
    const key = `${fileId}#${page ?? ""}`;
    if (!byKey.has(key)) byKey.set(key, { key, n: byKey.size + 1, fileId, page, quote: a.file_citation.quote ?? "" });
  }
  return [...byKey.values()];
}

/** A citation marker the server writes or keeps ([1], [1, 2], 【1†file, p. 3】), ending where the text does. */
const MARKER_AT_END = /(?:【[^】\n]*】|\[[^\]\n]{1,40}\])$/;

/**
 * Annotations in the shape runs give them (`start_index`/`end_index` around the marker, `file_citation` or
 * `file_path` objects). The Responses API gives a file_citation only `{file_id, filename, index}`, the index
 * where its marker ends, and a file the code wrote as a container_file_citation: both become that shape, so
 * one renderer shows either API's answers. A citation's span is the marker ending at its index, or empty
 * (the number is put there) when none does. Run-shaped annotations pass through as they are.
 * @param {string} value
 * @param {any[]} annotations
 */
export function runShapedAnnotations(value, annotations) {
  return annotations.map((a) => {
    if (a?.type === "file_citation" && !a.file_citation && typeof a.file_id === "string") {
      const end = Number.isInteger(a.index) ? Math.min(Math.max(a.index, 0), value.length) : value.length;
      const marker = MARKER_AT_END.exec(value.slice(0, end));
      const start = marker ? end - marker[0].length : end;
      return { type: "file_citation", text: value.slice(start, end), start_index: start, end_index: end, file_citation: { file_id: a.file_id } };
    }
    if (a?.type === "container_file_citation" && typeof a.file_id === "string") {
      return { type: "file_path", text: value.slice(a.start_index, a.end_index), start_index: a.start_index, end_index: a.end_index, file_path: { file_id: a.file_id } };
    }
    return a;
  });
}

/**
 * The ids of the files a message's content parts cite or link (either API's annotations), to look up names.
 * @param {any[]} parts
 */
export function citedFileIds(parts) {
  /** @type {string[]} */
  const ids = [];
  for (const part of parts ?? []) {
    for (const a of part?.text?.annotations ?? part?.annotations ?? []) {
      const id = a.file_citation?.file_id ?? a.file_path?.file_id ?? a.file_id;
      if (typeof id === "string") ids.push(id);
    }
  }
  return ids;
}

/**
 * A text content part with its annotations: each citation marker (`[1]`, `【1†file, p. 3】`) becomes a
 * numbered reference button; file_path annotations become download buttons. Annotations may be in the
 * Responses API's shape too (runShapedAnnotations).
 * @param {string} value
 * @param {any[]} given
 * @param {{ fileLabel: (id: string) => string, openFile: (id: string, page: number | null) => void }} files
 */
export function annotatedText(value, given, files) {
  const annotations = runShapedAnnotations(value, given);
  const sources = numberSources(annotations);
  const numberOf = new Map(sources.map((s) => [s.key, s]));
  const text = h("div", { class: "text" });
  // An empty span is a citation of the Responses API with no marker before it: its number goes there.
  const sorted = [...annotations]
    .filter((a) => Number.isInteger(a.start_index) && Number.isInteger(a.end_index) && (a.end_index > a.start_index || (a.type === "file_citation" && a.end_index === a.start_index)))
    .sort((a, b) => a.start_index - b.start_index);
  let at = 0;
  for (const a of sorted) {
    if (a.start_index < at) continue; // overlapping annotations: keep the first
    text.append(markdownish(value.slice(at, a.start_index)));
    if (a.type === "file_citation" && a.file_citation?.file_id) {
      const page = typeof a.file_citation.page === "number" ? a.file_citation.page : null;
      const source = numberOf.get(`${a.file_citation.file_id}#${page ?? ""}`);
      const n = source?.n ?? "?";
      const where = `${files.fileLabel(a.file_citation.file_id)}${page ? `, page ${page}` : ""}`;
      text.append(
        h(
          "button",
          {
            type: "button",
            class: "cite",
            "data-file-id": a.file_citation.file_id,
            "aria-label": `Source ${n}: ${where} (opens the file)`,
            title: a.file_citation.quote ? `${where}\n“${a.file_citation.quote}”` : where,
            onclick: () => files.openFile(a.file_citation.file_id, page),
          },
          `${n}`,
        ),
      );
    } else if (a.type === "file_path" && a.file_path?.file_id) {
      text.append(
        h("button", { type: "button", class: "link", onclick: () => files.openFile(a.file_path.file_id, null) }, a.text || "download"),
      );
    } else {
      text.append(value.slice(a.start_index, a.end_index));
    }
    at = a.end_index;
  }
  text.append(markdownish(value.slice(at)));
  if (sources.length === 0) return text;
  const list = h(
    "ol",
    { class: "sources", "aria-label": "Sources" },
    sources.map((s) =>
      h(
        "li",
        { value: String(s.n) },
        h(
          "button",
          { type: "button", class: "link source-name", "data-file-id": s.fileId, onclick: () => files.openFile(s.fileId, s.page) },
          h("span", { class: "file-label", "data-file-id": s.fileId }, files.fileLabel(s.fileId)),
          s.page ? `, p. ${s.page}` : "",
        ),
        // The server cuts quotes at 200 characters, sometimes mid-word: say so.
        s.quote ? h("q", { class: "quote" }, s.quote.length >= 200 ? `${clip(s.quote, 220)}…` : clip(s.quote, 220)) : null,
      ),
    ),
  );
  const frag = document.createDocumentFragment();
  frag.append(text, list);
  return frag;
}

/**
 * @param {string} text
 * @param {number} max
 */
export function clip(text, max) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Merges a `thread.run.step.delta` into a step snapshot (the way the SDK's stream helper accumulates).
 * @param {any} step
 * @param {any} delta
 */
export function applyStepDelta(step, delta) {
  const calls = delta?.step_details?.tool_calls;
  if (!Array.isArray(calls)) return step;
  step.step_details ??= { type: "tool_calls", tool_calls: [] };
  step.step_details.tool_calls ??= [];
  const list = step.step_details.tool_calls;
  for (const d of calls) {
    const index = Number.isInteger(d.index) ? d.index : list.length;
    const cur = (list[index] ??= { type: d.type });
    if (d.id) cur.id = d.id;
    if (d.type) cur.type = d.type;
    if (d.code_interpreter) {
      cur.code_interpreter ??= { input: "", outputs: [] };
      if (d.code_interpreter.input) cur.code_interpreter.input += d.code_interpreter.input;
      for (const out of d.code_interpreter.outputs ?? []) {
        const i = Number.isInteger(out.index) ? out.index : cur.code_interpreter.outputs.length;
        const prev = cur.code_interpreter.outputs[i];
        if (prev && prev.type === "logs" && out.type === "logs") prev.logs += out.logs ?? "";
        else cur.code_interpreter.outputs[i] = { ...out };
      }
    }
    if (d.function) {
      cur.function ??= { name: "", arguments: "", output: null };
      if (d.function.name) cur.function.name = d.function.name;
      if (d.function.arguments) cur.function.arguments += d.function.arguments;
      if (d.function.output !== undefined && d.function.output !== null) cur.function.output = d.function.output;
    }
    if (d.file_search) cur.file_search = { ...cur.file_search, ...d.file_search };
  }
  return step;
}

/** @param {string} args */
export function prettyJson(args) {
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}
