// The Playground: build and try assistants through this server's own public /v1 API (no private routes).
// Plain browser ES modules, no framework, no build step. This entry module only starts the page and wires
// the fixed controls of index.html to the sections, one module each:
//   state.js (shared state) · health.js (status, downloads, model menu) · key-prompt.js (API key) ·
//   assistants.js (list, form) · knowledge.js (vector store, files) · threads.js (saved threads) ·
//   conversations.js (Responses API conversations: list, settings) · transcript.js (history) ·
//   run-view.js / response-view.js + tool-card.js (a run or a response on screen) · composer.js (send, cancel)
// plus rules.js (copies of server rules, pinned by a test), files.js, notify.js, dom.js, api.js, render.js.
// Sections call each other only from event handlers, never while their module loads, so the import
// cycles between them (composer ⇄ run and response views ⇄ transcript ⇄ threads and conversations) are safe.
import { isAbort, onUnauthorized } from "./api.js";
import { deleteAssistant, insertFunctionExample, loadAssistants, saveAssistant, selectAssistant, startNewAssistant } from "./assistants.js";
import { cancelActive, send } from "./composer.js";
import { loadConversations, saveConversationSettings, selectConversation, startNewConversation } from "./conversations.js";
import { $, input } from "./dom.js";
import { refreshHealth, showModelHint } from "./health.js";
import { promptForKey, renderKeyButton } from "./key-prompt.js";
import { attachStore, createStore, uploadFiles } from "./knowledge.js";
import { messageOf, setBanner } from "./notify.js";
import { state } from "./state.js";
import { savedSelection, startNewThread } from "./threads.js";

window.addEventListener("error", (e) => setBanner("page", `Something went wrong in the page: ${e.message}. Reload to continue.`));
window.addEventListener("unhandledrejection", (e) => {
  if (isAbort(e.reason)) return;
  setBanner("page", `Something went wrong in the page: ${e.reason?.message ?? e.reason}`);
});
// A file dropped outside the drop zone would replace the page with the file.
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

// After a new key, /health can say more (a server with a key tells only "up" without it).
onUnauthorized(async (/** @type {string} */ message) => {
  const ok = await promptForKey(message);
  if (ok) void refreshHealth();
  return ok;
});
bindUi();
void boot();

async function boot() {
  await refreshHealth(); // it asks again by itself: every 15 s, every second while a model downloads
  await reload();
  // The browser tests wait for this before they act.
  document.body.dataset.ready = "true";
}

/** Loads the assistants and conversations, and opens what was open last (again after a new API key). */
async function reload() {
  try {
    await loadAssistants();
  } catch (err) {
    setBanner("load", `Could not load assistants: ${messageOf(err)}`);
    return;
  }
  setBanner("load", null);
  try {
    await loadConversations();
    setBanner("conversations", null);
  } catch (err) {
    setBanner("conversations", `Could not load conversations: ${messageOf(err)}`);
  }
  const saved = savedSelection();
  if (saved.conversationId && (await selectConversation(saved.conversationId))) return;
  const start = state.assistants.find((a) => a.id === saved.assistantId) ?? state.assistants[0];
  if (start) await selectAssistant(start.id, saved.assistantId === start.id ? saved.threadId : null);
  else startNewAssistant();
}

function bindUi() {
  $("new-assistant").addEventListener("click", () => startNewAssistant());
  $("new-thread").addEventListener("click", () => startNewThread());
  $("new-conversation").addEventListener("click", () => startNewConversation());
  $("c-model").addEventListener("change", () => {
    showModelHint("c-model");
    void saveConversationSettings();
  });
  $("c-file-search").addEventListener("change", () => void saveConversationSettings());
  $("c-code").addEventListener("change", () => void saveConversationSettings());
  $("assistant-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void saveAssistant();
  });
  $("delete-assistant").addEventListener("click", () => void deleteAssistant());
  $("functions-example").addEventListener("click", () => insertFunctionExample());
  $("a-model").addEventListener("change", () => showModelHint());
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    void send();
  });
  $("composer-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  });
  $("cancel-run").addEventListener("click", () => void cancelActive());
  const transcript = $("transcript");
  transcript.addEventListener("scroll", () => {
    state.follow = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 60;
  });
  $("vs-select").addEventListener("change", () => void attachStore(input("vs-select").value || null));
  $("vs-create").addEventListener("submit", (e) => {
    e.preventDefault();
    void createStore();
  });
  const fileInput = input("file-input");
  fileInput.addEventListener("change", () => {
    const files = [...(fileInput.files ?? [])];
    fileInput.value = "";
    void uploadFiles(files);
  });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    void uploadFiles([...(e.dataTransfer?.files ?? [])]);
  });
  $("key-button").addEventListener("click", async () => {
    if (await promptForKey(null)) await reload();
  });
  $("key-cancel").addEventListener("click", () => /** @type {HTMLDialogElement} */ ($("key-dialog")).close());
  renderKeyButton();
}
