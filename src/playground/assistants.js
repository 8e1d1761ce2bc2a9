// Assistants: the list in the sidebar, selecting one (which opens its threads and knowledge, and leaves a
// conversation that was open), and the settings form that creates, updates and deletes them.
import { api } from "./api.js";
import { setComposer, stopStream } from "./composer.js";
import { renderConversations } from "./conversations.js";
import { $, input } from "./dom.js";
import { defaultModel, fillModelSelect } from "./health.js";
import { renderKnowledge } from "./knowledge.js";
import { messageOf, toast } from "./notify.js";
import { h, richText } from "./render.js";
import { state } from "./state.js";
import { forgetThreads, renderThreads, selectThread, startNewThread, threadsOf } from "./threads.js";
import { showTranscriptHint } from "./transcript.js";

/** What "Insert example" puts in the functions box: one definition in the shape the API takes. */
const FUNCTION_EXAMPLE = [
  {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
];

/** Fills the functions box with the example, scrolled to its start. */
export function insertFunctionExample() {
  const area = input("a-functions");
  area.value = JSON.stringify(FUNCTION_EXAMPLE, null, 2);
  area.focus();
  area.setSelectionRange(0, 0);
  area.scrollTop = 0;
}

export async function loadAssistants() {
  const page = await api("GET", "/assistants?limit=100&order=desc");
  state.assistants = page.data;
  renderAssistantList();
}

export function renderAssistantList() {
  const list = $("assistant-list");
  if (state.assistants.length === 0) {
    list.replaceChildren(h("li", { class: "muted empty-item" }, "No assistants yet."));
    return;
  }
  list.replaceChildren(
    ...state.assistants.map((a) =>
      h(
        "li",
        null,
        h(
          "button",
          {
            type: "button",
            class: "item",
            "aria-current": state.assistant?.id === a.id ? "true" : null,
            onclick: () => void selectAssistant(a.id),
          },
          h("span", { class: "item-title" }, a.name || "Untitled assistant"),
          h("span", { class: "item-sub" }, a.model),
        ),
      ),
    ),
  );
}

/**
 * @param {string} id
 * @param {string | null} [threadId] thread to open; default the assistant's most recent one
 */
export async function selectAssistant(id, threadId) {
  const a = state.assistants.find((x) => x.id === id);
  if (!a) return;
  stopStream();
  leaveConversation();
  state.assistant = a;
  state.creating = false;
  renderAssistantList();
  fillForm(a);
  $("threads-section").hidden = false;
  $("chat-title").textContent = a.name || "Untitled assistant";
  setComposer("idle");
  const threads = threadsOf(a.id);
  const open = threadId ?? threads[0]?.id ?? null;
  renderThreads();
  void renderKnowledge();
  if (open && threads.some((t) => t.id === open)) await selectThread(open);
  else startNewThread();
}

export function startNewAssistant() {
  stopStream();
  leaveConversation();
  state.assistant = null;
  state.creating = true;
  state.threadId = null;
  renderAssistantList();
  fillForm(null);
  $("threads-section").hidden = true;
  $("knowledge").hidden = true;
  $("chat-title").textContent = "Chat";
  showTranscriptHint("Create the assistant on the right, then chat with it here.");
  setComposer("disabled");
  input("a-name").focus();
}

/** Back from the conversation view (conversations.js) to the assistants': the form, threads and runs. */
function leaveConversation() {
  if (!state.conversation) return;
  state.conversation = null;
  $("conversation-form").hidden = true;
  $("cancel-run").textContent = "Cancel run";
  renderConversations();
}

/** @param {any} a */
function fillForm(a) {
  $("assistant-form").hidden = false;
  $("form-title").textContent = a ? "Assistant" : "New assistant";
  $("assistant-id").textContent = a?.id ?? "";
  input("a-name").value = a?.name ?? "";
  fillModelSelect(a?.model ?? defaultModel());
  input("a-instructions").value = a?.instructions ?? "You are a helpful assistant. Answer briefly.";
  const tools = a?.tools ?? [];
  input("t-file-search").checked = tools.some((/** @type {any} */ t) => t.type === "file_search");
  input("t-code").checked = tools.some((/** @type {any} */ t) => t.type === "code_interpreter");
  const fns = tools.filter((/** @type {any} */ t) => t.type === "function").map((/** @type {any} */ t) => t.function);
  input("a-functions").value = fns.length > 0 ? JSON.stringify(fns, null, 2) : "";
  setFieldError("functions-error", "a-functions", null);
  $("save-assistant").textContent = a ? "Save changes" : "Create assistant";
  $("delete-assistant").hidden = !a;
  $("form-status").textContent = "";
}

/**
 * @param {string} errorId
 * @param {string} fieldId
 * @param {string | null} message
 */
function setFieldError(errorId, fieldId, message) {
  const error = $(errorId);
  error.textContent = message ?? "";
  error.hidden = !message;
  if (message) input(fieldId).setAttribute("aria-invalid", "true");
  else input(fieldId).removeAttribute("aria-invalid");
}

/**
 * The function definitions textarea: a JSON array of `{ name, description, parameters }` (tool wrappers
 * `{ type: "function", function: {...} }` are accepted too).
 * @param {string} text
 * @returns {any[]}
 */
function parseFunctions(text) {
  if (text.trim() === "") return [];
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`Function definitions are not valid JSON: ${messageOf(err)}`);
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => {
    const fn = item && item.type === "function" && item.function ? item.function : item;
    if (!fn || typeof fn !== "object" || typeof fn.name !== "string" || fn.name === "") {
      throw new Error(`Function ${i + 1} needs a "name" (and usually "description" and "parameters").`);
    }
    return fn;
  });
}

export async function saveAssistant() {
  const status = $("form-status");
  let functions;
  try {
    functions = parseFunctions(input("a-functions").value);
    setFieldError("functions-error", "a-functions", null);
  } catch (err) {
    setFieldError("functions-error", "a-functions", messageOf(err));
    input("a-functions").focus();
    return;
  }
  const current = state.assistant;
  /** @type {any[]} */
  const tools = [];
  if (input("t-file-search").checked) {
    tools.push(current?.tools.find((/** @type {any} */ t) => t.type === "file_search") ?? { type: "file_search" });
  }
  if (input("t-code").checked) tools.push({ type: "code_interpreter" });
  for (const fn of functions) tools.push({ type: "function", function: fn });
  const body = {
    name: input("a-name").value.trim() || null,
    model: input("a-model").value,
    instructions: input("a-instructions").value,
    tools,
  };
  const button = /** @type {HTMLButtonElement} */ ($("save-assistant"));
  button.disabled = true;
  status.className = "form-status";
  status.textContent = "Saving…";
  try {
    const saved = state.creating || !current ? await api("POST", "/assistants", body) : await api("POST", `/assistants/${current.id}`, body);
    const index = state.assistants.findIndex((a) => a.id === saved.id);
    if (index >= 0) state.assistants[index] = saved;
    else state.assistants.unshift(saved);
    const created = state.creating;
    if (created) await selectAssistant(saved.id);
    else {
      state.assistant = saved;
      renderAssistantList();
      $("chat-title").textContent = saved.name || "Untitled assistant";
    }
    status.textContent = created ? "Created." : "Saved.";
  } catch (err) {
    status.className = "form-status error";
    status.replaceChildren(richText(messageOf(err)));
  } finally {
    button.disabled = false;
  }
}

export async function deleteAssistant() {
  const a = state.assistant;
  if (!a) return;
  if (!confirm(`Delete the assistant “${a.name || a.id}”? Its threads stay on the server.`)) return;
  try {
    await api("DELETE", `/assistants/${a.id}`);
  } catch (err) {
    toast(`Could not delete the assistant: ${messageOf(err)}`, "error");
    return;
  }
  state.assistants = state.assistants.filter((x) => x.id !== a.id);
  forgetThreads(a.id);
  toast(`Deleted ${a.name || a.id}.`);
  if (state.assistants[0]) await selectAssistant(state.assistants[0].id);
  else startNewAssistant();
}
