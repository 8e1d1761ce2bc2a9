// Threads. The API has no "list threads", so the page remembers the ones it made, per assistant, in local
// storage, along with the assistant and thread (or the conversation) last open, reopened on the next visit.
import { ApiError, api } from "./api.js";
import { stopStream, setComposer } from "./composer.js";
import { $ } from "./dom.js";
import { messageOf, toast } from "./notify.js";
import { h } from "./render.js";
import { state } from "./state.js";
import { loadTranscript, showTranscriptHint } from "./transcript.js";

const THREADS_KEY = "local-assistants.threads";
const SELECTION_KEY = "local-assistants.selection";

/** @typedef {{ id: string, title: string, created_at: number }} SavedThread */

/** @param {any} storage @param {string} key @param {any} fallback */
function readJson(storage, key, fallback) {
  try {
    return JSON.parse(storage.getItem(key) ?? "") ?? fallback;
  } catch {
    return fallback;
  }
}

/** @param {string} assistantId @returns {SavedThread[]} */
export function threadsOf(assistantId) {
  return readJson(localStorage, THREADS_KEY, {})[assistantId] ?? [];
}

/**
 * @param {string} assistantId
 * @param {SavedThread[]} threads
 */
export function saveThreads(assistantId, threads) {
  const all = readJson(localStorage, THREADS_KEY, {});
  all[assistantId] = threads;
  localStorage.setItem(THREADS_KEY, JSON.stringify(all));
}

/** Drops a deleted assistant's thread list (its threads stay on the server). @param {string} assistantId */
export function forgetThreads(assistantId) {
  const all = readJson(localStorage, THREADS_KEY, {});
  delete all[assistantId];
  localStorage.setItem(THREADS_KEY, JSON.stringify(all));
}

/**
 * The assistant and thread, or the conversation, open last time.
 * @returns {{ assistantId?: string | null, threadId?: string | null, conversationId?: string | null }}
 */
export function savedSelection() {
  return readJson(localStorage, SELECTION_KEY, {});
}

export function saveSelection() {
  localStorage.setItem(
    SELECTION_KEY,
    JSON.stringify({ assistantId: state.assistant?.id ?? null, threadId: state.threadId, conversationId: state.conversation?.id ?? null }),
  );
}

export function renderThreads() {
  const a = state.assistant;
  const list = $("thread-list");
  if (!a) return list.replaceChildren();
  const threads = threadsOf(a.id);
  if (threads.length === 0) {
    list.replaceChildren(h("li", { class: "muted empty-item" }, "No threads yet: send a message."));
    return;
  }
  list.replaceChildren(
    ...threads.map((t) =>
      h(
        "li",
        { class: "thread-item" },
        h(
          "button",
          { type: "button", class: "item", "aria-current": state.threadId === t.id ? "true" : null, onclick: () => void selectThread(t.id) },
          h("span", { class: "item-title" }, t.title || "New thread"),
          h("span", { class: "item-sub" }, new Date(t.created_at * 1000).toLocaleString()),
        ),
        h("button", { type: "button", class: "icon-button", "aria-label": `Delete thread “${t.title}”`, title: "Delete thread", onclick: () => void deleteThread(t.id) }, "×"),
      ),
    ),
  );
}

/** No thread yet: the first message sent creates one (composer.js). */
export function startNewThread() {
  stopStream();
  state.threadId = null;
  renderThreads();
  saveSelection();
  showTranscriptHint("Send a message to start a new thread.");
  setComposer("idle");
}

/** @param {string} threadId */
export async function selectThread(threadId) {
  stopStream();
  state.threadId = threadId;
  renderThreads();
  saveSelection();
  setComposer("idle");
  await loadTranscript(threadId);
}

/** Deletes the thread on the server (one already gone there counts as deleted) and from the list. @param {string} threadId */
async function deleteThread(threadId) {
  const a = state.assistant;
  if (!a) return;
  try {
    await api("DELETE", `/threads/${threadId}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) {
      toast(`Could not delete the thread: ${messageOf(err)}`, "error");
      return;
    }
  }
  saveThreads(a.id, threadsOf(a.id).filter((t) => t.id !== threadId));
  if (state.threadId === threadId) startNewThread();
  else renderThreads();
}
