// Health and models: the status pill, the banners for a missing server or Ollama, and the model menu
// (filled from the models Ollama has pulled, polled with /health).
import { health } from "./api.js";
import { $, input } from "./dom.js";
import { setBanner } from "./notify.js";
import { h, richText } from "./render.js";
import { OPENAI_MODEL_NAME } from "./rules.js";
import { state } from "./state.js";

/** Ollama's embedding models cannot chat; keep them out of the model menu. */
const EMBEDDING_NAME = /embed|minilm|bge-|e5-/i;

/** What the model menu was last filled from. */
let lastModels = "";

export async function refreshHealth() {
  const res = await health();
  state.health = res;
  const pill = $("health");
  if (!res) {
    pill.className = "pill bad";
    pill.textContent = "Server not answering";
    setBanner("health", "The local-assistants server does not answer `/health`: is it still running? Start it with `npm start`.");
    return;
  }
  const o = res.ollama ?? { reachable: false, models: [] };
  state.models = (o.models ?? []).filter((/** @type {string} */ m) => !EMBEDDING_NAME.test(m));
  if (!res.ollama) {
    // A server with an API key tells only that it is up until the page has the key.
    pill.className = "pill";
    pill.textContent = "Server up";
    setBanner("health", null);
  } else if (!o.reachable) {
    pill.className = "pill bad";
    pill.textContent = "Ollama not reachable";
    setBanner("health", o.error ?? "Ollama is not reachable: start it with `ollama serve`.");
  } else if (state.models.length === 0) {
    pill.className = "pill warn";
    pill.textContent = `Ollama ${o.version ?? ""} · no chat model`;
    setBanner("health", "Ollama has no chat model pulled: run `ollama pull llama3.2:3b` (or any model you like), then reload.");
  } else {
    pill.className = "pill ok";
    pill.textContent = `Ollama ${o.version ?? ""} · ${state.models.length} model${state.models.length === 1 ? "" : "s"}`;
    setBanner("health", null);
  }
  pill.title = `local-assistants ${res.version ?? ""}`;
  // Re-fill the model menu only when something changed (re-filling closes a menu the person has open).
  const signature = JSON.stringify([o.reachable, state.models]);
  if (signature !== lastModels) {
    lastModels = signature;
    fillModelSelect(input("a-model").value || null);
  }
}

/** @param {string | null} current */
export function fillModelSelect(current) {
  const select = /** @type {HTMLSelectElement} */ ($("a-model"));
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
  showModelHint();
}

export function showModelHint() {
  const model = input("a-model").value;
  const hint = $("model-hint");
  const reachable = state.health?.ollama?.reachable;
  let text = "";
  let warn = true;
  if (state.health && !state.health.ollama) text = "Enter the API key to see the models Ollama has.";
  else if (!reachable) text = "Ollama is not reachable, so the list of models is unknown.";
  else if (OPENAI_MODEL_NAME.test(model)) {
    text = "OpenAI model names run the server's default chat model.";
    warn = false;
  } else if (!isPulled(model)) text = `'${model}' may not be pulled: run \`ollama pull ${model}\`.`;
  hint.className = warn ? "hint warn" : "hint";
  hint.replaceChildren(richText(text));
  hint.hidden = text === "";
}

/** @param {string} model */
function isPulled(model) {
  const tag = model.includes(":") ? model : `${model}:latest`;
  return state.models.includes(tag) || state.models.some((m) => m.startsWith(`${model}:`));
}

/** The model a new assistant starts with: the first pulled one, else a name the server maps to its default. */
export function defaultModel() {
  return state.models[0] ?? "gpt-4o";
}
