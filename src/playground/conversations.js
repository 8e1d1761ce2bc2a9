// Conversations (the Responses API): the sidebar list, opening one, and the settings the page sends with
// each response made in it (model, file_search over a vector store, code_interpreter). The server lists
// conversations itself (`GET /v1/conversations`, newest first: beyond the hosted API), so, unlike threads,
// the list shows the ones made through the API too. The settings live in the conversation's metadata, as
// a thread's assistant and title do, so they come back on any browser; conversations made elsewhere have
// none and get the defaults.
import { ApiError, api } from "./api.js";
import { renderAssistantList } from "./assistants.js";
import { setComposer, stopStream } from "./composer.js";
import { $, input } from "./dom.js";
import { defaultModel, fillModelSelect } from "./health.js";
import { renderKnowledge } from "./knowledge.js";
import { messageOf, toast } from "./notify.js";
import { h } from "./render.js";
import { state } from "./state.js";
import { saveSelection } from "./threads.js";
import { loadConversationTranscript, showTranscriptHint } from "./transcript.js";

/** Conversations listed (the newest); older ones are reachable only through the API. */
const LIST_LIMIT = 50;
/** Untitled conversations (made through the API) whose first words the page fetches to name them. */
const NAMED_LIMIT = 20;

/** Metadata keys the page keeps its settings under (values are strings, as metadata requires). */
const KEY = { title: "title", model: "model", store: "vector_store_id", tools: "tools" };

/** Names for untitled conversations, from their first user message, fetched once. @type {Map<string, string>} */
const firstWords = new Map();

/** @returns {any} a conversation not yet created: the first message sent creates it (composer.js) */
function unsaved() {
  return { id: null, object: "conversation", created_at: 0, metadata: {} };
}

export async function loadConversations() {
  const page = await api("GET", `/conversations?limit=${LIST_LIMIT}&order=desc`);
  state.conversations = page.data;
  renderConversations();
}

/** The name a conversation is listed and titled by. @param {any} c */
function titleOf(c) {
  return c.metadata?.[KEY.title] || firstWords.get(c.id) || "Untitled conversation";
}

export function renderConversations() {
  const list = $("conversation-list");
  if (state.conversations.length === 0) {
    list.replaceChildren(h("li", { class: "muted empty-item" }, "No conversations yet."));
    return;
  }
  list.replaceChildren(
    ...state.conversations.map((c) =>
      h(
        "li",
        { class: "thread-item" },
        h(
          "button",
          {
            type: "button",
            class: "item",
            title: c.id,
            "data-conversation-id": c.id,
            "aria-current": state.conversation?.id === c.id ? "true" : null,
            onclick: () => void selectConversation(c.id),
          },
          h("span", { class: "item-title" }, titleOf(c)),
          h("span", { class: "item-sub" }, new Date(c.created_at * 1000).toLocaleString()),
        ),
        h("button", { type: "button", class: "icon-button", "aria-label": `Delete conversation “${titleOf(c)}”`, title: "Delete conversation", onclick: () => void deleteConversation(c.id) }, "×"),
      ),
    ),
  );
  void nameUntitled();
}

/** Names untitled conversations by their first user message (one small request each, once). */
async function nameUntitled() {
  const untitled = state.conversations.filter((c) => !c.metadata?.[KEY.title] && !firstWords.has(c.id)).slice(0, NAMED_LIMIT);
  if (untitled.length === 0) return;
  for (const c of untitled) firstWords.set(c.id, ""); // asked: not again while this runs
  await Promise.all(
    untitled.map(async (c) => {
      try {
        const page = await api("GET", `/conversations/${c.id}/items?order=asc&limit=5`);
        const first = page.data.find((/** @type {any} */ item) => item.type === "message" && item.role === "user");
        const text = first?.content?.find((/** @type {any} */ p) => p.type === "input_text")?.text ?? "";
        firstWords.set(c.id, text.replace(/\s+/g, " ").trim().slice(0, 60));
      } catch {
        // Gone or unreadable: it keeps the generic name.
      }
    }),
  );
  renderConversations();
}

/** Leaves the assistant (if one is open) for the conversation view: its settings panel instead of the form. */
function showConversationView() {
  stopStream();
  state.assistant = null;
  state.creating = false;
  state.threadId = null;
  renderAssistantList();
  $("threads-section").hidden = true;
  $("assistant-form").hidden = true;
  $("conversation-form").hidden = false;
  $("cancel-run").textContent = "Cancel response";
  fillSettings();
  renderConversations();
  void renderKnowledge();
  setComposer("idle");
}

/** A new conversation, made on the server when the first message is sent. */
export function startNewConversation() {
  state.conversation = unsaved();
  showConversationView();
  saveSelection();
  $("chat-title").textContent = "New conversation";
  showTranscriptHint("Send a message to start a new conversation (Responses API).");
  input("composer-input").focus();
}

/** @param {string} id */
export async function selectConversation(id) {
  let c = state.conversations.find((x) => x.id === id);
  if (!c) {
    // Not among the newest listed (or made since the list was read): ask for it.
    try {
      c = await api("GET", `/conversations/${id}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) toast(`Could not open the conversation: ${messageOf(err)}`, "error");
      return false;
    }
  }
  state.conversation = c;
  showConversationView();
  saveSelection();
  $("chat-title").textContent = titleOf(c);
  await loadConversationTranscript(id);
  return true;
}

/** The settings the page sends with a response, from the open conversation's metadata. */
export function conversationSettings() {
  const m = state.conversation?.metadata ?? {};
  const tools = typeof m[KEY.tools] === "string" ? m[KEY.tools].split(/\s+/) : ["file_search", "code_interpreter"];
  const storeId = m[KEY.store] || null;
  return {
    model: m[KEY.model] || defaultModel(),
    storeId,
    fileSearch: storeId !== null && tools.includes("file_search"),
    codeInterpreter: tools.includes("code_interpreter"),
  };
}

/** Shows the settings of the open conversation in its panel. */
function fillSettings() {
  const s = conversationSettings();
  $("conversation-id").textContent = state.conversation?.id ?? "";
  fillModelSelect(s.model, "c-model");
  const fileSearch = input("c-file-search");
  fileSearch.checked = s.fileSearch;
  fileSearch.disabled = s.storeId === null;
  $("c-file-search-hint").hidden = s.storeId !== null;
  input("c-code").checked = s.codeInterpreter;
}

/**
 * Takes the panel's choices (model, tools) into the conversation's metadata, saved on the server once the
 * conversation exists (a new one carries them when it is created).
 */
export async function saveConversationSettings() {
  await updateMetadata(panelChoices());
}

/** The model and tools the panel shows, as metadata (no tools is "", which is not the same as unset). */
function panelChoices() {
  const tools = [input("c-file-search").checked ? "file_search" : "", input("c-code").checked ? "code_interpreter" : ""].filter(Boolean).join(" ");
  return { [KEY.model]: input("c-model").value, [KEY.tools]: tools };
}

/**
 * The vector store file_search reads in this conversation (the Knowledge panel's menu); choosing one turns
 * file_search on, as attaching a store to an assistant does.
 * @param {string | null} storeId
 */
export async function chooseConversationStore(storeId) {
  const tools = new Set((state.conversation?.metadata?.[KEY.tools] ?? "file_search code_interpreter").split(/\s+/).filter(Boolean));
  if (storeId) tools.add("file_search");
  await updateMetadata({ [KEY.store]: storeId, [KEY.tools]: [...tools].join(" ") });
  fillSettings();
}

/** @param {Record<string, string | null>} patch null removes the key */
async function updateMetadata(patch) {
  const c = state.conversation;
  if (!c) return;
  /** @type {Record<string, string>} */
  const metadata = { ...c.metadata };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete metadata[k];
    else metadata[k] = v;
  }
  if (!c.id) {
    c.metadata = metadata;
    return;
  }
  try {
    const updated = await api("POST", `/conversations/${c.id}`, { metadata });
    replaceConversation(updated);
  } catch (err) {
    toast(`Could not save the conversation's settings: ${messageOf(err)}`, "error");
    fillSettings();
  }
}

/** @param {any} updated */
function replaceConversation(updated) {
  const i = state.conversations.findIndex((x) => x.id === updated.id);
  if (i >= 0) state.conversations[i] = updated;
  if (state.conversation?.id === updated.id) state.conversation = updated;
}

/**
 * The open conversation's id, creating it on the server first when it is new (titled by the first message,
 * with the settings chosen so far), and listing it first.
 * @param {string} title
 * @returns {Promise<string>}
 */
export async function ensureConversation(title) {
  const c = state.conversation;
  if (!c) throw new Error("No conversation is open.");
  if (c.id) return c.id;
  const created = await api("POST", "/conversations", { metadata: { ...c.metadata, ...panelChoices(), [KEY.title]: title } });
  state.conversation = created;
  state.conversations.unshift(created);
  saveSelection();
  renderConversations();
  $("conversation-id").textContent = created.id;
  $("chat-title").textContent = titleOf(created);
  return created.id;
}

/** The tools a response in this conversation gets, as the Responses API takes them. */
export function responseTools() {
  const s = conversationSettings();
  /** @type {any[]} */
  const tools = [];
  if (s.fileSearch && s.storeId) tools.push({ type: "file_search", vector_store_ids: [s.storeId] });
  if (s.codeInterpreter) tools.push({ type: "code_interpreter", container: { type: "auto" } });
  return tools;
}

/** Removes a conversation gone from the server from the list (and leaves it if it was open). @param {string} id */
export function forgetConversation(id) {
  state.conversations = state.conversations.filter((c) => c.id !== id);
  if (state.conversation?.id === id) {
    state.conversation = unsaved();
    saveSelection();
    $("conversation-id").textContent = "";
    $("chat-title").textContent = "New conversation";
  }
  renderConversations();
}

/** Deletes the conversation on the server (one already gone counts as deleted) and from the list. @param {string} id */
async function deleteConversation(id) {
  try {
    await api("DELETE", `/conversations/${id}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) {
      toast(`Could not delete the conversation: ${messageOf(err)}`, "error");
      return;
    }
  }
  const wasOpen = state.conversation?.id === id;
  forgetConversation(id);
  if (wasOpen) startNewConversation();
}
