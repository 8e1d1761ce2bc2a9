// Health and models: the status pill, the banners for a missing server or Ollama, the embedded engine's model
// downloads with their progress, and the model menus (the assistant form's and the conversation panel's, filled
// from the models Ollama has pulled), all from /health, which this module asks again by itself.
import { health } from "./api.js";
import { $, input } from "./dom.js";
import { setBanner } from "./notify.js";
import { h, richText } from "./render.js";
import { OPENAI_MODEL_NAME } from "./rules.js";
import { state } from "./state.js";

/** Ollama's embedding models cannot chat; keep them out of the model menu. */
const EMBEDDING_NAME = /embed|minilm|bge-|e5-/i;

/** The model menus, each with the hint under it. */
const MENUS = [
  { select: "a-model", hint: "model-hint" },
  { select: "c-model", hint: "c-model-hint" },
];

/** What the model menus were last filled from. */
let lastModels = "";

/** How often /health is asked: seldom while nothing moves; every second while a model downloads, so its bar moves. */
const POLL_MS = 15_000;
const DOWNLOAD_POLL_MS = 1_000;
/** The next ask: one timer, reset by every answer, so callers that ask in between never add a second loop. */
let pollTimer = 0;
/** Until when /health is asked every second though no download shows yet (see watchForDownload). */
let watchUntil = 0;

/** Asks /health, shows what it says, and sets when to ask again (the first call, at boot, starts the polling). */
export async function refreshHealth() {
  askAgainIn(POLL_MS); // should this answer never come, the polling still goes on
  const res = await health();
  state.health = res;
  // Only the embedded engine downloads models; with LLM_BACKEND=auto it reports them even while Ollama serves.
  const downloads = res?.embedded?.downloads ?? [];
  if (downloads.length > 0) watchUntil = 0; // seen: from now on the downloads themselves keep the pace
  showDownloads(downloads);
  askAgainIn(downloads.length > 0 || Date.now() < watchUntil ? DOWNLOAD_POLL_MS : POLL_MS);
  const pill = $("health");
  if (!res) {
    pill.className = "pill bad";
    pill.textContent = "Server not answering";
    setBanner("health", "The local-assistants server does not answer `/health`: is it still running? Start it with `npm start`.");
    return;
  }
  // The model server: Ollama, or an OpenAI-compatible one (LLM_BACKEND=openai), in the same shape.
  const probe = modelServer(res);
  const o = probe ?? { reachable: false, models: [] };
  const name = res.openai ? "Model server" : (res.serving ?? (res.embedded ? "embedded" : "ollama")) === "embedded" ? "Embedded engine" : "Ollama";
  const label = o.version ? `${name} ${o.version}` : name; // Ollama reports its version; the others do not
  state.models = (o.models ?? []).filter((/** @type {string} */ m) => !EMBEDDING_NAME.test(m));
  if (!probe) {
    // A server with an API key tells only that it is up until the page has the key.
    pill.className = "pill";
    pill.textContent = "Server up";
    setBanner("health", null);
  } else if (!o.reachable) {
    pill.className = "pill bad";
    pill.textContent = `${name} not reachable`;
    setBanner("health", o.error ?? "Ollama is not reachable: start it with `ollama serve`.");
  } else if (state.models.length === 0) {
    pill.className = "pill warn";
    pill.textContent = downloads.length > 0 ? `${label} · downloading the model` : `${label} · no chat model`;
    const none = res.openai ? "The model server serves no chat model."
      : name === "Embedded engine" ? "The embedded engine's chat model is not downloaded yet: the first message downloads it (or run `npm run models:pull`)."
      : "Ollama has no chat model pulled: run `ollama pull llama3.2:3b` (or any model you like), then reload.";
    // While the model downloads, the download box says so better than "the first message downloads it".
    setBanner("health", downloads.length > 0 ? null : none);
  } else {
    pill.className = "pill ok";
    pill.textContent = `${label} · ${state.models.length} model${state.models.length === 1 ? "" : "s"}`;
    setBanner("health", null);
  }
  // Which engine serves, and (the embedded engine) which models are in memory and which are downloading.
  const loaded = probe?.loaded?.length ? `; loaded: ${probe.loaded.join(", ")}` : "";
  const downloading = probe?.downloads?.length ? `; downloading: ${probe.downloads.map((/** @type {any} */ d) => `${fileName(d.file)} ${Math.round((100 * d.downloaded_bytes) / Math.max(1, d.total_bytes))}%`).join(", ")}` : "";
  pill.title = `local-assistants ${res.version ?? ""}: ${name}${loaded}${downloading}`;
  // Re-fill the model menus only when something changed (re-filling closes a menu the person has open).
  const signature = JSON.stringify([o.reachable, state.models]);
  if (signature !== lastModels) {
    lastModels = signature;
    for (const menu of MENUS) fillModelSelect(input(menu.select).value || null, menu.select);
  }
}

/**
 * A run or response is starting. When the embedded engine serves and has no chat model yet, that first use
 * downloads it: /health is asked every second for a while (the download shows only once llama.cpp is loaded
 * and the file's server has answered), so its progress shows from the start rather than up to 15 s later.
 */
export function watchForDownload() {
  const probe = modelServer(state.health);
  if (!probe || probe !== state.health.embedded || state.models.length > 0) return;
  watchUntil = Date.now() + 15_000;
  askAgainIn(DOWNLOAD_POLL_MS);
}

/** @param {number} ms when to ask /health next, instead of when it was going to be */
function askAgainIn(ms) {
  clearTimeout(pollTimer);
  pollTimer = window.setTimeout(() => void refreshHealth(), ms);
}

/**
 * The box under the header with one row per model file being downloaded (name, bar, bytes); hidden when none.
 * Rebuilt on each answer: a row is text and a bar, and nothing in it holds focus.
 * @param {Array<{ file: string, downloaded_bytes: number, total_bytes: number }>} downloads
 */
function showDownloads(downloads) {
  const box = $("downloads");
  box.replaceChildren(
    ...downloads.map((d) => {
      const name = fileName(d.file);
      const known = d.total_bytes > 0; // the size is known once the file's server has answered
      const bar = h("progress", { "aria-label": `Downloading ${name}`, max: known ? d.total_bytes : null, value: known ? d.downloaded_bytes : null });
      const amount = known
        ? `${megabytes(d.downloaded_bytes)} of ${megabytes(d.total_bytes)} (${Math.floor((100 * d.downloaded_bytes) / d.total_bytes)}%)`
        : `${megabytes(d.downloaded_bytes)} so far`;
      return h("div", { class: "download-row" }, h("span", null, "Downloading"), h("span", { class: "file-name mono", title: d.file }, name), bar, h("span", { class: "small" }, amount));
    }),
  );
  box.hidden = downloads.length === 0;
}

/**
 * The file name of a path on the server (only the name means something on this page).
 * @param {string} file
 */
function fileName(file) {
  return file.split(/[\\/]/).pop() || file;
}

/**
 * Bytes as MB (10^6, as download sizes are usually given); a tenth under 10 MB, so a small file still shows it moving.
 * @param {number} bytes
 */
function megabytes(bytes) {
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb).toLocaleString("en")} MB`;
}

/**
 * @param {string | null} current
 * @param {string} [selectId] which menu: the assistant form's (default) or the conversation panel's
 */
export function fillModelSelect(current, selectId = "a-model") {
  const select = /** @type {HTMLSelectElement} */ ($(selectId));
  const names = [...state.models];
  if (current && !names.includes(current)) names.push(current);
  select.replaceChildren(
    ...names.map((m) => {
      let label = m;
      if (OPENAI_MODEL_NAME.test(m)) label = `${m} (server's default model)`;
      else if (!state.models.includes(m) && state.health?.ollama?.reachable) label = `${m} (not in Ollama)`;
      return h("option", { value: m }, label);
    }),
  );
  if (names.length === 0) select.append(h("option", { value: "gpt-4o" }, "gpt-4o (server's default model)"));
  select.value = current ?? names[0] ?? "gpt-4o";
  showModelHint(selectId);
}

/** @param {string} [selectId] the menu whose hint to update */
export function showModelHint(selectId = "a-model") {
  const model = input(selectId).value;
  const hint = $(MENUS.find((m) => m.select === selectId)?.hint ?? "model-hint");
  const reachable = modelServer(state.health)?.reachable;
  let text = "";
  let warn = true;
  if (state.health && !modelServer(state.health)) text = "Enter the API key to see the models Ollama has.";
  else if (!reachable) text = "Ollama is not reachable, so the list of models is unknown.";
  else if (OPENAI_MODEL_NAME.test(model)) {
    text = "OpenAI model names run the server's default chat model.";
    warn = false;
  } else if (!isPulled(model)) {
    text = state.health?.openai || (state.health?.embedded !== undefined && modelServer(state.health) === state.health.embedded) ? `'${model}' is not among the models the model server serves.` : `'${model}' may not be pulled: run \`ollama pull ${model}\`.`;
  }
  hint.className = warn ? "hint warn" : "hint";
  hint.replaceChildren(richText(text));
  hint.hidden = text === "";
}

/**
 * What /health says of the model server (`ollama`, `openai` or `embedded` per LLM_BACKEND); undefined when the
 * server answered only that it is up (a key is needed to see more).
 * @param {any} res
 */
function modelServer(res) {
  // LLM_BACKEND=auto reports both, and which one serves now.
  if (res?.serving) return res[res.serving];
  return res?.ollama ?? res?.openai ?? res?.embedded;
}

/** @param {string} model */
function isPulled(model) {
  const tag = model.includes(":") ? model : `${model}:latest`;
  return state.models.includes(model) || state.models.includes(tag) || state.models.some((m) => m.startsWith(`${model}:`));
}

/** The model a new assistant starts with: the first pulled one, else a name the server maps to its default. */
export function defaultModel() {
  return state.models[0] ?? "gpt-4o";
}
