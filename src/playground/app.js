// The Playground: build and try assistants through this server's own public /v1 API (no private routes).
// Plain browser ES module, no framework, no build step.
import { ApiError, api, apiKey, health, isAbort, onUnauthorized, setApiKey, streamEvents } from "./api.js";
import { annotatedText, applyStepDelta, clip, errorBox, formatBytes, h, notice, prettyJson, richText } from "./render.js";

/** Asks runs to stream file_search passages, so the page can show what was found. */
const INCLUDE_RESULTS = `include[]=${encodeURIComponent("step_details.tool_calls[*].file_search.results[*].content")}`;
const THREADS_KEY = "local-assistants.threads";
const SELECTION_KEY = "local-assistants.selection";
/** Names the server maps to its default chat model (see models/manifest.json). */
const OPENAI_NAME = /^(gpt-|o[1-9](-|$)|chatgpt-)/;
/** Ollama's embedding models cannot chat; keep them out of the model menu. */
const EMBEDDING_NAME = /embed|minilm|bge-|e5-/i;
const FUNCTION_EXAMPLE = [
  {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
];

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

const state = {
  /** @type {any} */ health: null,
  /** Chat models Ollama has pulled. @type {string[]} */ models: [],
  /** @type {any[]} */ assistants: [],
  /** The assistant being edited/chatted with. @type {any} */ assistant: null,
  /** The form is creating a new assistant. */ creating: false,
  /** @type {string | null} */ threadId: null,
  /** @type {any[]} */ stores: [],
  /** @type {Map<string, string>} */ fileNames: new Map(),
  /** Files being uploaded into the attached store (not yet vector store files). @type {any[]} */ uploads: [],
  /** @type {number | undefined} */ storeTimer: undefined,
  /** The run on screen that is streaming or waiting for tool outputs. @type {RunView | null} */ active: null,
  /** @type {AbortController | null} */ stream: null,
  /** The transcript sticks to its end until the person scrolls up to read. */ follow: true,
};
/** What the model menu was last filled from. */
let lastModels = "";

// ---------------------------------------------------------------------------------------------------------
// Start-up

window.addEventListener("error", (e) => setBanner("page", `Something went wrong in the page: ${e.message}. Reload to continue.`));
window.addEventListener("unhandledrejection", (e) => {
  if (isAbort(e.reason)) return;
  setBanner("page", `Something went wrong in the page: ${e.reason?.message ?? e.reason}`);
});
// A file dropped outside the drop zone would replace the page with the file.
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

onUnauthorized(promptForKey);
bindUi();
void boot();

async function boot() {
  await refreshHealth();
  setInterval(() => void refreshHealth(), 15_000);
  await reload();
  document.body.dataset.ready = "true";
}

/** Loads the assistants and opens the one used last (again after a new API key). */
async function reload() {
  try {
    await loadAssistants();
  } catch (err) {
    setBanner("load", `Could not load assistants: ${messageOf(err)}`);
    return;
  }
  setBanner("load", null);
  const saved = readJson(localStorage, SELECTION_KEY, {});
  const start = state.assistants.find((a) => a.id === saved.assistantId) ?? state.assistants[0];
  if (start) await selectAssistant(start.id, saved.assistantId === start.id ? saved.threadId : null);
  else startNewAssistant();
}

function bindUi() {
  $("new-assistant").addEventListener("click", () => startNewAssistant());
  $("new-thread").addEventListener("click", () => startNewThread());
  $("assistant-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void saveAssistant();
  });
  $("delete-assistant").addEventListener("click", () => void deleteAssistant());
  $("functions-example").addEventListener("click", () => {
    const area = input("a-functions");
    area.value = JSON.stringify(FUNCTION_EXAMPLE, null, 2);
    area.focus();
    area.setSelectionRange(0, 0);
    area.scrollTop = 0;
  });
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
  $("cancel-run").addEventListener("click", () => void cancelRun());
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

// ---------------------------------------------------------------------------------------------------------
// Health, models, banners

async function refreshHealth() {
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
  if (!o.reachable) {
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


/**
 * One line per problem (key), shown at the top until it is solved.
 * @param {string} key
 * @param {string | null} message
 */
function setBanner(key, message) {
  const banner = $("banner");
  banner.querySelector(`[data-key="${key}"]`)?.remove();
  if (message) banner.append(h("p", { "data-key": key }, richText(message)));
  banner.hidden = banner.childElementCount === 0;
}

/**
 * A short message in the corner (success or failure of a side action).
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
function toast(message, kind = "info") {
  const el = h("div", { class: `toast ${kind}` }, richText(message));
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 9000 : 4000);
}

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/** @param {string | null} current */
function fillModelSelect(current) {
  const select = /** @type {HTMLSelectElement} */ ($("a-model"));
  const names = [...state.models];
  if (current && !names.includes(current)) names.push(current);
  select.replaceChildren(
    ...names.map((m) => {
      let label = m;
      if (OPENAI_NAME.test(m)) label = `${m} (server's default model)`;
      else if (!state.models.includes(m) && state.health?.ollama?.reachable) label = `${m} (not in Ollama)`;
      return h("option", { value: m }, label);
    }),
  );
  if (names.length === 0) select.append(h("option", { value: "gpt-4o" }, "gpt-4o (server's default model)"));
  select.value = current ?? names[0] ?? "gpt-4o";
  showModelHint();
}

function showModelHint() {
  const model = input("a-model").value;
  const hint = $("model-hint");
  const reachable = state.health?.ollama?.reachable;
  let text = "";
  let warn = true;
  if (!reachable) text = "Ollama is not reachable, so the list of models is unknown.";
  else if (OPENAI_NAME.test(model)) {
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

function defaultModel() {
  return state.models[0] ?? "gpt-4o";
}

// ---------------------------------------------------------------------------------------------------------
// API key

/** @type {((ok: boolean) => void) | null} */
let keyResolver = null;

/**
 * Shows the key dialog. `message` is the server's 401 text, or null when the person opened it.
 * @param {string | null} message
 * @returns {Promise<boolean>}
 */
function promptForKey(message) {
  const dialog = /** @type {HTMLDialogElement} */ ($("key-dialog"));
  const field = input("key-input");
  const error = $("key-error");
  const had = apiKey() !== null;
  $("key-message").textContent =
    "This server asks for an API key (the API_KEY it was started with). It is kept in this browser tab's session storage only.";
  error.textContent = message && had ? message : "";
  error.hidden = !(message && had);
  $("key-forget").hidden = !had || message !== null;
  field.value = "";
  return new Promise((resolve) => {
    keyResolver?.(false);
    keyResolver = resolve;
    const finish = (/** @type {boolean} */ ok) => {
      dialog.removeEventListener("close", onClose);
      form.removeEventListener("submit", onSubmit);
      forget.removeEventListener("click", onForget);
      keyResolver = null;
      renderKeyButton();
      resolve(ok);
    };
    const form = $("key-form");
    const forget = $("key-forget");
    const onSubmit = (/** @type {Event} */ e) => {
      e.preventDefault();
      const key = field.value.trim();
      if (!key) {
        error.textContent = "Enter the key, or press Cancel.";
        error.hidden = false;
        field.focus();
        return;
      }
      setApiKey(key);
      dialog.removeEventListener("close", onClose);
      dialog.close();
      finish(true);
    };
    const onForget = () => {
      setApiKey(null);
      dialog.removeEventListener("close", onClose);
      dialog.close();
      finish(false);
    };
    const onClose = () => finish(false);
    form.addEventListener("submit", onSubmit);
    forget.addEventListener("click", onForget);
    dialog.addEventListener("close", onClose);
    if (!dialog.open) dialog.showModal();
    field.focus();
  });
}

function renderKeyButton() {
  const button = $("key-button");
  button.textContent = apiKey() ? "API key ✓" : "API key";
  button.setAttribute("aria-label", apiKey() ? "API key (set): change or forget it" : "Enter an API key");
}

// ---------------------------------------------------------------------------------------------------------
// Assistants

async function loadAssistants() {
  const page = await api("GET", "/assistants?limit=100&order=desc");
  state.assistants = page.data;
  renderAssistantList();
}

function renderAssistantList() {
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
async function selectAssistant(id, threadId) {
  const a = state.assistants.find((x) => x.id === id);
  if (!a) return;
  stopStream();
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

function startNewAssistant() {
  stopStream();
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

async function saveAssistant() {
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

async function deleteAssistant() {
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
  const all = readJson(localStorage, THREADS_KEY, {});
  delete all[a.id];
  localStorage.setItem(THREADS_KEY, JSON.stringify(all));
  toast(`Deleted ${a.name || a.id}.`);
  if (state.assistants[0]) await selectAssistant(state.assistants[0].id);
  else startNewAssistant();
}

// ---------------------------------------------------------------------------------------------------------
// Knowledge: vector stores and their files

async function renderKnowledge() {
  const a = state.assistant;
  const section = $("knowledge");
  section.hidden = !a;
  clearTimeout(state.storeTimer);
  state.uploads = [];
  if (!a) return;
  try {
    const page = await api("GET", "/vector_stores?limit=100&order=desc");
    state.stores = page.data;
  } catch (err) {
    $("vs-files").replaceChildren(h("li", null, errorBox("Could not list vector stores", messageOf(err))));
    return;
  }
  if (state.assistant !== a) return;
  renderStoreSelect();
  await refreshStoreFiles();
}

function attachedStoreId() {
  return state.assistant?.tool_resources?.file_search?.vector_store_ids?.[0] ?? null;
}

function renderStoreSelect() {
  const select = /** @type {HTMLSelectElement} */ ($("vs-select"));
  const attached = attachedStoreId();
  select.replaceChildren(
    h("option", { value: "" }, "None"),
    ...state.stores.map((s) => h("option", { value: s.id }, `${s.name || s.id} (${s.file_counts?.total ?? 0} files)`)),
  );
  if (attached && !state.stores.some((s) => s.id === attached)) select.append(h("option", { value: attached }, attached));
  select.value = attached ?? "";
}

/**
 * Attaches a vector store to the assistant (file_search reads it), enabling file_search; null detaches.
 * @param {string | null} storeId
 */
async function attachStore(storeId) {
  const a = state.assistant;
  if (!a) return;
  let tools = a.tools;
  if (storeId && !tools.some((/** @type {any} */ t) => t.type === "file_search")) tools = [...tools, { type: "file_search" }];
  try {
    const updated = await api("POST", `/assistants/${a.id}`, {
      tools,
      tool_resources: { ...(a.tool_resources ?? {}), file_search: { vector_store_ids: storeId ? [storeId] : [] } },
    });
    replaceAssistant(updated);
    if (storeId) input("t-file-search").checked = true;
  } catch (err) {
    toast(`Could not attach the vector store: ${messageOf(err)}`, "error");
  }
  renderStoreSelect();
  state.uploads = [];
  await refreshStoreFiles();
}

/** @param {any} updated */
function replaceAssistant(updated) {
  const index = state.assistants.findIndex((x) => x.id === updated.id);
  if (index >= 0) state.assistants[index] = updated;
  if (state.assistant?.id === updated.id) state.assistant = updated;
}

async function createStore() {
  const field = input("vs-name");
  const name = field.value.trim() || `${state.assistant?.name || "Assistant"} files`;
  try {
    const store = await api("POST", "/vector_stores", { name });
    state.stores.unshift(store);
    field.value = "";
    await attachStore(store.id);
    toast(`Created vector store “${name}” and attached it.`);
  } catch (err) {
    toast(`Could not create the vector store: ${messageOf(err)}`, "error");
  }
}

/** @param {File[]} files */
async function uploadFiles(files) {
  const a = state.assistant;
  if (!a || files.length === 0) return;
  let storeId = attachedStoreId();
  if (!storeId) {
    try {
      const store = await api("POST", "/vector_stores", { name: `${a.name || "Assistant"} files` });
      state.stores.unshift(store);
      await attachStore(store.id);
      storeId = store.id;
    } catch (err) {
      toast(`Could not create a vector store: ${messageOf(err)}`, "error");
      return;
    }
  }
  const uploads = files.map((file) => ({ key: `${file.name}-${Math.random()}`, name: file.name, bytes: file.size, status: "uploading", error: "" }));
  state.uploads.push(...uploads);
  renderStoreFiles(null);
  await Promise.all(
    files.map(async (file, i) => {
      const upload = uploads[i];
      try {
        const form = new FormData();
        form.append("purpose", "assistants");
        form.append("file", file, file.name);
        const created = await api("POST", "/files", form);
        state.fileNames.set(created.id, created.filename);
        await api("POST", `/vector_stores/${storeId}/files`, { file_id: created.id });
        state.uploads = state.uploads.filter((u) => u !== upload);
      } catch (err) {
        upload.status = "failed";
        upload.error = messageOf(err);
      }
    }),
  );
  if (attachedStoreId() === storeId) await refreshStoreFiles();
}

/** @type {any[] | null} */
let lastStoreFiles = null;

/** Lists the attached store's files; polls while any is still being ingested. */
async function refreshStoreFiles() {
  clearTimeout(state.storeTimer);
  const storeId = attachedStoreId();
  if (!storeId) {
    lastStoreFiles = null;
    renderStoreFiles(null);
    return;
  }
  let files;
  try {
    const page = await api("GET", `/vector_stores/${storeId}/files?limit=100&order=asc`);
    files = page.data;
    await ensureFileNames(files.map((/** @type {any} */ f) => f.id));
  } catch (err) {
    $("vs-files").replaceChildren(h("li", null, errorBox("Could not list the store's files", messageOf(err))));
    return;
  }
  if (attachedStoreId() !== storeId) return;
  lastStoreFiles = files;
  renderStoreFiles(files);
  if (files.some((/** @type {any} */ f) => f.status === "in_progress") || state.uploads.some((u) => u.status === "uploading")) {
    state.storeTimer = window.setTimeout(() => void refreshStoreFiles(), 700);
  } else {
    // The store's file counts changed: refresh the menu labels.
    void api("GET", `/vector_stores/${storeId}`)
      .then((store) => {
        const i = state.stores.findIndex((s) => s.id === store.id);
        if (i >= 0) state.stores[i] = store;
        renderStoreSelect();
      })
      .catch(() => undefined);
  }
}

/** @param {any[] | null} files null: keep the last listing (uploads changed) */
function renderStoreFiles(files) {
  const list = $("vs-files");
  const storeId = attachedStoreId();
  const shown = files ?? lastStoreFiles ?? [];
  const summary = $("vs-summary");
  if (!storeId) {
    summary.textContent = "No vector store attached. Drop files below to create one.";
  } else {
    const done = shown.filter((f) => f.status === "completed").length;
    const busy = shown.filter((f) => f.status === "in_progress").length + state.uploads.filter((u) => u.status === "uploading").length;
    const failed = shown.filter((f) => f.status === "failed").length;
    summary.textContent =
      shown.length + state.uploads.length === 0
        ? "The store is empty. Drop files below."
        : `${done} ready${busy ? `, ${busy} in progress` : ""}${failed ? `, ${failed} failed` : ""}`;
  }
  const rows = [
    ...shown.map((f) =>
      fileRow({
        name: state.fileNames.get(f.id) ?? f.id,
        bytes: f.usage_bytes,
        status: f.status,
        error: f.last_error?.message ?? "",
        fileId: f.id,
        onRemove: () => void removeStoreFile(storeId, f.id),
      }),
    ),
    ...state.uploads.map((u) => fileRow({ name: u.name, bytes: u.bytes, status: u.status, error: u.error, fileId: null, onRemove: null })),
  ];
  list.replaceChildren(...rows);
}

const STATUS_LABEL = /** @type {Record<string, string>} */ ({
  uploading: "Uploading…",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
});

/** @param {{ name: string, bytes: number, status: string, error: string, fileId: string | null, onRemove: (() => void) | null }} f */
function fileRow(f) {
  return h(
    "li",
    { class: `file-row status-${f.status}`, "data-status": f.status },
    h(
      "div",
      { class: "file-main" },
      f.fileId
        ? h("button", { type: "button", class: "link file-name", onclick: () => void openFile(/** @type {string} */ (f.fileId), null) }, f.name)
        : h("span", { class: "file-name" }, f.name),
      h("span", { class: "muted small" }, f.bytes ? formatBytes(f.bytes) : ""),
      h("span", { class: `chip ${f.status}` }, STATUS_LABEL[f.status] ?? f.status),
      f.onRemove
        ? h("button", { type: "button", class: "icon-button", "aria-label": `Remove ${f.name} from the store`, title: "Remove from the store", onclick: f.onRemove }, "×")
        : null,
    ),
    f.error ? h("p", { class: "file-error" }, richText(f.error)) : null,
  );
}

/**
 * @param {string} storeId
 * @param {string} fileId
 */
async function removeStoreFile(storeId, fileId) {
  try {
    await api("DELETE", `/vector_stores/${storeId}/files/${fileId}`);
  } catch (err) {
    toast(`Could not remove the file: ${messageOf(err)}`, "error");
  }
  await refreshStoreFiles();
}

/** @param {string[]} ids */
async function ensureFileNames(ids) {
  const missing = [...new Set(ids)].filter((id) => !state.fileNames.has(id));
  await Promise.all(
    missing.map(async (id) => {
      try {
        const file = await api("GET", `/files/${id}`);
        state.fileNames.set(id, file.filename);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) state.fileNames.set(id, `${id} (deleted)`);
      }
    }),
  );
}

/** File types the browser can show safely in a tab; anything else (HTML, SVG…) is downloaded instead. */
const VIEWABLE = /** @type {Record<string, string>} */ ({
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/plain",
  csv: "text/plain",
  json: "text/plain",
  log: "text/plain",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
});

/**
 * Opens a file in a new tab (a PDF at the cited page), downloading it through the API with the key.
 * @param {string} fileId
 * @param {number | null} page
 */
async function openFile(fileId, page) {
  const name = state.fileNames.get(fileId) ?? fileId;
  const type = VIEWABLE[name.split(".").pop()?.toLowerCase() ?? ""];
  // Open the tab now, inside the click, so no popup blocker stops it; fill it when the bytes are here.
  const tab = type ? window.open("", "_blank") : null;
  try {
    const res = await api("GET", `/files/${fileId}/content`, undefined, { raw: true });
    const blob = new Blob([await res.arrayBuffer()], { type: type ?? "application/octet-stream" });
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = type === "application/pdf" && page ? `${url}#page=${page}` : url;
    else {
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
    }
    setTimeout(() => URL.revokeObjectURL(url), 120_000);
  } catch (err) {
    tab?.close();
    toast(`Could not open ${name}: ${messageOf(err)}`, "error");
  }
}

const fileOps = {
  fileLabel: (/** @type {string} */ id) => state.fileNames.get(id) ?? id,
  openFile: (/** @type {string} */ id, /** @type {number | null} */ page) => void openFile(id, page),
};

// ---------------------------------------------------------------------------------------------------------
// Threads (the API has no "list threads": the page remembers the ones it made, per assistant)

/** @param {any} storage @param {string} key @param {any} fallback */
function readJson(storage, key, fallback) {
  try {
    return JSON.parse(storage.getItem(key) ?? "") ?? fallback;
  } catch {
    return fallback;
  }
}

/** @param {string} assistantId @returns {{ id: string, title: string, created_at: number }[]} */
function threadsOf(assistantId) {
  return readJson(localStorage, THREADS_KEY, {})[assistantId] ?? [];
}

/**
 * @param {string} assistantId
 * @param {{ id: string, title: string, created_at: number }[]} threads
 */
function saveThreads(assistantId, threads) {
  const all = readJson(localStorage, THREADS_KEY, {});
  all[assistantId] = threads;
  localStorage.setItem(THREADS_KEY, JSON.stringify(all));
}

function saveSelection() {
  localStorage.setItem(SELECTION_KEY, JSON.stringify({ assistantId: state.assistant?.id ?? null, threadId: state.threadId }));
}

function renderThreads() {
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

function startNewThread() {
  stopStream();
  state.threadId = null;
  renderThreads();
  saveSelection();
  showTranscriptHint("Send a message to start a new thread.");
  setComposer("idle");
}

/** @param {string} threadId */
async function selectThread(threadId) {
  stopStream();
  state.threadId = threadId;
  renderThreads();
  saveSelection();
  setComposer("idle");
  await loadTranscript(threadId);
}

/** @param {string} threadId */
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

// ---------------------------------------------------------------------------------------------------------
// Transcript

/** @param {string} text */
function showTranscriptHint(text) {
  $("transcript").replaceChildren(h("p", { class: "transcript-hint" }, text));
}

/** @param {string} threadId */
async function loadTranscript(threadId) {
  const transcript = $("transcript");
  transcript.replaceChildren(h("p", { class: "transcript-hint" }, "Loading…"));
  try {
    const [messages, runs] = await Promise.all([
      api("GET", `/threads/${threadId}/messages?limit=100&order=asc`),
      api("GET", `/threads/${threadId}/runs?limit=100&order=asc`),
    ]);
    const recentRuns = runs.data.slice(-20);
    const steps = await Promise.all(
      recentRuns.map((/** @type {any} */ r) => api("GET", `/threads/${threadId}/runs/${r.id}/steps?limit=100&order=asc&${INCLUDE_RESULTS}`)),
    );
    /** @type {string[]} */
    const cited = [];
    for (const m of messages.data) for (const part of m.content) for (const a of part.text?.annotations ?? []) cited.push(a.file_citation?.file_id ?? a.file_path?.file_id);
    await ensureFileNames(cited.filter(Boolean));
    if (state.threadId !== threadId) return;
    const byId = new Map(messages.data.map((/** @type {any} */ m) => [m.id, m]));
    const inRuns = new Set(messages.data.filter((/** @type {any} */ m) => m.run_id && recentRuns.some((/** @type {any} */ r) => r.id === m.run_id)).map((/** @type {any} */ m) => m.id));
    // User messages and runs in time order; a run's own steps and messages render inside it.
    const timeline = [
      ...messages.data.filter((/** @type {any} */ m) => !inRuns.has(m.id)).map((/** @type {any} */ m) => ({ at: m.created_at, order: 0, m })),
      ...recentRuns.map((/** @type {any} */ r, /** @type {number} */ i) => ({ at: r.created_at, order: 1, r, steps: steps[i].data })),
    ].sort((x, y) => x.at - y.at || x.order - y.order);
    transcript.replaceChildren();
    if (timeline.length === 0) showTranscriptHint("No messages yet.");
    let waiting = null;
    for (const item of timeline) {
      if ("m" in item) transcript.append(messageEl(item.m));
      else {
        const view = new RunView(threadId);
        view.restore(item.r, item.steps, byId);
        transcript.append(view.el);
        if (item.r.status === "requires_action") waiting = view;
        else if (["queued", "in_progress", "cancelling"].includes(item.r.status)) waiting = view;
      }
    }
    scrollToEnd(true);
    if (waiting?.run.status === "requires_action") {
      state.active = waiting;
      setComposer("action");
    } else if (waiting) {
      state.active = waiting;
      setComposer("running");
      void waiting.pollUntilSettled();
    }
  } catch (err) {
    if (state.threadId !== threadId) return;
    if (err instanceof ApiError && err.status === 404) {
      const a = state.assistant;
      if (a) saveThreads(a.id, threadsOf(a.id).filter((t) => t.id !== threadId));
      state.threadId = null;
      renderThreads();
      transcript.replaceChildren(notice("This thread no longer exists on the server; it was removed from the list."));
      return;
    }
    transcript.replaceChildren(errorBox("Could not load the thread", messageOf(err), err instanceof ApiError ? err.code : null));
  }
}

/** @param {any} m */
function messageEl(m) {
  const body = h("div", { class: "bubble" });
  fillMessage(body, m);
  const who = m.role === "user" ? "You" : state.assistant?.name || "Assistant";
  return h("article", { class: `msg ${m.role}`, "data-message-id": m.id, "aria-label": `${who} said` }, h("div", { class: "who" }, who), body);
}

/**
 * @param {HTMLElement} body
 * @param {any} m
 */
function fillMessage(body, m) {
  body.replaceChildren();
  for (const part of m.content ?? []) {
    if (part.type === "text") body.append(annotatedText(part.text.value, part.text.annotations ?? [], fileOps));
    else if (part.type === "image_file") body.append(imageOf(part.image_file.file_id));
    else if (part.type === "image_url") body.append(h("p", { class: "muted" }, `[image: ${part.image_url.url}]`));
  }
  if (m.status === "incomplete") {
    body.append(h("p", { class: "muted small" }, `(incomplete${m.incomplete_details?.reason ? `: ${m.incomplete_details.reason}` : ""})`));
  }
}

/** @param {string} fileId */
function imageOf(fileId) {
  const img = /** @type {HTMLImageElement} */ (h("img", { class: "output-image", alt: `Image ${fileId}` }));
  api("GET", `/files/${fileId}/content`, undefined, { raw: true })
    .then((/** @type {Response} */ res) => res.blob())
    .then((/** @type {Blob} */ blob) => (img.src = URL.createObjectURL(blob)))
    .catch((/** @type {unknown} */ err) => img.replaceWith(h("p", { class: "muted small" }, `Could not load image ${fileId}: ${messageOf(err)}`)));
  return img;
}

/** @param {boolean} [force] scroll even if the person scrolled up to read */
function scrollToEnd(force = false) {
  const el = $("transcript");
  if (force) state.follow = true;
  if (state.follow) el.scrollTop = el.scrollHeight;
}

// ---------------------------------------------------------------------------------------------------------
// Runs: one block in the transcript per run, fed by stream events (or restored from steps)

const FINAL = new Set(["completed", "failed", "cancelled", "expired", "incomplete"]);

class RunView {
  /** @param {string} threadId */
  constructor(threadId) {
    this.threadId = threadId;
    /** @type {any} */
    this.run = null;
    this.el = h("div", { class: "run" });
    /** @type {Map<string, { step: any, el: HTMLElement }>} */
    this.steps = new Map();
    /** @type {Map<string, { el: HTMLElement, body: HTMLElement, textNode: Text | null }>} */
    this.messages = new Map();
    /** Function call ids waiting for outputs. @type {Set<string>} */
    this.pending = new Set();
    /** @type {HTMLElement | null} */
    this.actionBar = null;
    /** @type {HTMLElement | null} */
    this.statusEl = null;
    this.progress = h("p", { class: "run-progress", role: "status" }, "");
  }

  /**
   * Renders a finished or waiting run from the API (history), in step order.
   * @param {any} run
   * @param {any[]} steps
   * @param {Map<string, any>} messagesById
   */
  restore(run, steps, messagesById) {
    this.run = run;
    for (const step of steps) {
      if (step.type === "tool_calls") this.stepUpdated(step);
      else {
        const m = messagesById.get(step.step_details?.message_creation?.message_id);
        if (m) {
          const el = messageEl(m);
          this.el.append(el);
          this.messages.set(m.id, { el, body: /** @type {HTMLElement} */ (el.querySelector(".bubble")), textNode: null });
        }
      }
    }
    for (const m of messagesById.values()) {
      if (m.run_id === run.id && !this.messages.has(m.id)) this.el.append(messageEl(m));
    }
    this.settled(run);
  }

  /** @param {string} event @param {any} data */
  handle(event, data) {
    switch (event) {
      case "thread.run.created":
      case "thread.run.queued":
      case "thread.run.in_progress":
        this.run = data;
        this.setProgress("Thinking…");
        break;
      case "thread.run.cancelling":
        this.run = data;
        this.setProgress("Cancelling…");
        break;
      case "thread.run.step.created":
      case "thread.run.step.in_progress":
      case "thread.run.step.completed":
      case "thread.run.step.failed":
      case "thread.run.step.cancelled":
      case "thread.run.step.expired":
        if (data.type === "tool_calls") this.stepUpdated(data);
        break;
      case "thread.run.step.delta": {
        const entry = this.steps.get(data.id);
        if (entry) {
          applyStepDelta(entry.step, data.delta);
          this.renderStep(entry);
        }
        break;
      }
      case "thread.message.created":
        this.messageCreated(data);
        break;
      case "thread.message.delta":
        this.messageDelta(data);
        break;
      case "thread.message.completed":
      case "thread.message.incomplete":
        void this.messageDone(data);
        break;
      case "thread.run.requires_action":
      case "thread.run.completed":
      case "thread.run.failed":
      case "thread.run.cancelled":
      case "thread.run.expired":
      case "thread.run.incomplete":
        this.settled(data);
        break;
      case "error":
        this.showStatus(errorBox("The event stream broke", data?.message ?? "unknown error", data?.code ?? null));
        break;
      default:
        break;
    }
    scrollToEnd();
  }

  /** @param {string} text */
  setProgress(text) {
    this.progress.textContent = text;
    if (text && !this.progress.isConnected) this.el.append(this.progress);
    if (!text) this.progress.remove();
  }

  /** @param {any} step */
  stepUpdated(step) {
    let entry = this.steps.get(step.id);
    if (!entry) {
      entry = { step: structuredClone(step), el: h("div", { class: "step" }) };
      this.steps.set(step.id, entry);
      this.insert(entry.el);
    } else {
      // A step event carries the whole step: keep what deltas built only if the event has no calls yet.
      const calls = step.step_details?.tool_calls ?? [];
      entry.step = calls.length > 0 || !entry.step.step_details ? structuredClone(step) : { ...structuredClone(step), step_details: entry.step.step_details };
    }
    this.renderStep(entry);
  }

  /** Keeps the progress line last. @param {HTMLElement} el */
  insert(el) {
    if (this.progress.isConnected) this.el.insertBefore(el, this.progress);
    else this.el.append(el);
  }

  /** @param {{ step: any, el: HTMLElement }} entry */
  renderStep(entry) {
    // Keep what the person typed into output boxes across re-renders.
    /** @type {Map<string, string>} */
    const typed = new Map();
    for (const area of entry.el.querySelectorAll("textarea[data-call-id]")) {
      typed.set(/** @type {HTMLElement} */ (area).dataset.callId ?? "", /** @type {HTMLTextAreaElement} */ (area).value);
    }
    const calls = entry.step.step_details?.tool_calls ?? [];
    entry.el.replaceChildren(...calls.map((/** @type {any} */ call) => toolCard(call, entry.step.status, this.pending)));
    for (const area of entry.el.querySelectorAll("textarea[data-call-id]")) {
      const value = typed.get(/** @type {HTMLElement} */ (area).dataset.callId ?? "");
      if (value !== undefined) /** @type {HTMLTextAreaElement} */ (area).value = value;
    }
  }

  /** @param {any} m */
  messageCreated(m) {
    if (this.messages.has(m.id)) return;
    const el = messageEl(m);
    const body = /** @type {HTMLElement} */ (el.querySelector(".bubble"));
    el.classList.add("streaming");
    el.setAttribute("aria-busy", "true");
    const textNode = document.createTextNode("");
    body.replaceChildren(h("div", { class: "text" }, textNode));
    this.messages.set(m.id, { el, body, textNode });
    this.insert(el);
    this.setProgress("");
  }

  /** @param {any} delta */
  messageDelta(delta) {
    const entry = this.messages.get(delta.id);
    if (!entry?.textNode) return;
    for (const part of delta.delta?.content ?? []) {
      if (part.type === "text" && part.text?.value) entry.textNode.data += part.text.value;
    }
  }

  /** @param {any} m */
  async messageDone(m) {
    let entry = this.messages.get(m.id);
    if (!entry) {
      this.messageCreated(m);
      entry = /** @type {{ el: HTMLElement, body: HTMLElement, textNode: Text | null }} */ (this.messages.get(m.id));
    }
    const ids = [];
    for (const part of m.content ?? []) for (const a of part.text?.annotations ?? []) ids.push(a.file_citation?.file_id ?? a.file_path?.file_id);
    await ensureFileNames(ids.filter(Boolean));
    fillMessage(entry.body, m);
    entry.textNode = null;
    entry.el.classList.remove("streaming");
    entry.el.removeAttribute("aria-busy");
    scrollToEnd();
  }

  /** A run event that ends this stream: finished, or waiting for tool outputs. @param {any} run */
  settled(run) {
    this.run = run;
    this.setProgress("");
    for (const entry of this.messages.values()) {
      entry.el.classList.remove("streaming");
      entry.el.removeAttribute("aria-busy");
    }
    if (run.status === "requires_action") return this.requiresAction(run);
    this.pending.clear();
    this.actionBar?.remove();
    this.actionBar = null;
    for (const entry of this.steps.values()) this.renderStep(entry);
    if (run.status === "failed") {
      const e = run.last_error ?? {};
      this.showStatus(errorBox("The run failed", e.message ?? "The run failed without a reason.", e.code ?? null));
      if (/Ollama/i.test(e.message ?? "")) void refreshHealth();
    } else if (run.status === "cancelled") this.showStatus(notice("Run cancelled."));
    else if (run.status === "expired") this.showStatus(notice("The run expired: its tool outputs were not submitted in time.", "warn"));
    else if (run.status === "incomplete") {
      const reason = run.incomplete_details?.reason ?? "unknown reason";
      this.showStatus(notice(`The answer is incomplete (${reason}).`, "warn"));
    } else this.showStatus(null);
  }

  /** @param {HTMLElement | null} el */
  showStatus(el) {
    this.statusEl?.remove();
    this.statusEl = el;
    if (el) this.el.append(el);
  }

  /** @param {any} run */
  requiresAction(run) {
    const calls = run.required_action?.submit_tool_outputs?.tool_calls ?? [];
    this.pending = new Set(calls.map((/** @type {any} */ c) => c.id));
    const shown = new Set();
    for (const entry of this.steps.values()) {
      for (const call of entry.step.step_details?.tool_calls ?? []) shown.add(call.id);
      this.renderStep(entry);
    }
    // Calls no step showed (should not happen): give them a card of their own.
    const missing = calls.filter((/** @type {any} */ c) => !shown.has(c.id));
    if (missing.length > 0) {
      const entry = { step: { id: `pending-${run.id}`, status: "in_progress", step_details: { type: "tool_calls", tool_calls: missing } }, el: h("div", { class: "step" }) };
      this.steps.set(entry.step.id, entry);
      this.insert(entry.el);
      this.renderStep(entry);
    }
    this.actionBar?.remove();
    const submit = h("button", { type: "button", class: "primary", onclick: () => void this.submitOutputs(submit) }, "Submit outputs");
    this.actionBar = h(
      "div",
      { class: "action-bar", role: "group", "aria-label": "Function outputs" },
      h("p", null, `The assistant is waiting for ${calls.length === 1 ? "the output of 1 function call" : `the outputs of ${calls.length} function calls`}. Run the function yourself and enter what it returned.`),
      submit,
    );
    this.el.append(this.actionBar);
    this.statusEl?.remove();
    const first = /** @type {HTMLTextAreaElement | null} */ (this.el.querySelector("textarea[data-call-id]"));
    first?.focus();
  }

  /** @param {HTMLElement} button */
  async submitOutputs(button) {
    const tool_outputs = [...this.pending].map((id) => {
      const area = /** @type {HTMLTextAreaElement | null} */ (this.el.querySelector(`textarea[data-call-id="${CSS.escape(id)}"]`));
      return { tool_call_id: id, output: area?.value ?? "" };
    });
    /** @type {HTMLButtonElement} */ (button).disabled = true;
    const runId = this.run.id;
    await drive(this, streamEvents(`/threads/${this.threadId}/runs/${runId}/submit_tool_outputs`, { tool_outputs }, startStream()));
    if (this.run?.status === "requires_action" && this.run.id === runId && this.actionBar) {
      /** @type {HTMLButtonElement} */ (button).disabled = false;
    }
  }

  /** When the stream is gone (cancel while waiting, reloaded mid-run): poll the run until it settles. */
  async pollUntilSettled() {
    const deadline = Date.now() + 10 * 60_000;
    while (Date.now() < deadline && state.active === this) {
      let run;
      try {
        run = await api("GET", `/threads/${this.threadId}/runs/${this.run.id}`);
      } catch (err) {
        this.showStatus(errorBox("Lost track of the run", messageOf(err)));
        break;
      }
      if (FINAL.has(run.status) || run.status === "requires_action") {
        if (run.status !== "failed" && run.status !== "cancelled" && run.status !== "expired") {
          // Text may have been written meanwhile: reload the whole thread.
          if (state.threadId === this.threadId && state.active === this) {
            state.active = null;
            await loadTranscript(this.threadId);
          }
          return;
        }
        this.settled(run);
        break;
      }
      this.setProgress(run.status === "cancelling" ? "Cancelling…" : "Working…");
      await new Promise((r) => setTimeout(r, 500));
    }
    if (state.active === this) {
      state.active = null;
      setComposer("idle");
    }
  }
}

/**
 * One tool call: code_interpreter (code + output), file_search (passages found), or function (arguments,
 * output, or an output box while the run waits for it).
 * @param {any} call
 * @param {string} stepStatus
 * @param {Set<string>} pending
 */
function toolCard(call, stepStatus, pending) {
  const status = h("span", { class: `chip ${stepStatus}` }, STATUS_LABEL[stepStatus] ?? stepStatus);
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

// ---------------------------------------------------------------------------------------------------------
// Sending, streaming, cancelling

/** @param {"idle" | "running" | "action" | "disabled"} mode */
function setComposer(mode) {
  const send = /** @type {HTMLButtonElement} */ ($("send"));
  const text = /** @type {HTMLTextAreaElement} */ ($("composer-input"));
  send.disabled = mode !== "idle";
  text.disabled = mode === "disabled";
  $("cancel-run").hidden = mode !== "running" && mode !== "action";
  const hint = $("composer-hint");
  hint.textContent =
    mode === "running"
      ? "The assistant is answering…"
      : mode === "action"
        ? "Submit the function outputs above (or cancel the run) before sending another message."
        : mode === "disabled"
          ? "Create an assistant first."
          : "Enter sends, Shift+Enter starts a new line.";
}

function startStream() {
  state.stream?.abort();
  state.stream = new AbortController();
  return state.stream.signal;
}

/** Stops reading the current stream (the run itself goes on on the server). */
function stopStream() {
  state.stream?.abort();
  state.stream = null;
  state.active = null;
}

async function send() {
  const a = state.assistant;
  const field = /** @type {HTMLTextAreaElement} */ ($("composer-input"));
  const text = field.value.trim();
  if (!a || !text || /** @type {HTMLButtonElement} */ ($("send")).disabled) return;
  field.value = "";
  setComposer("running");
  const transcript = $("transcript");
  let threadId = state.threadId;
  try {
    if (!threadId) {
      const title = clip(text, 60);
      const thread = await api("POST", "/threads", { metadata: { assistant_id: a.id, title } });
      threadId = /** @type {string} */ (thread.id);
      saveThreads(a.id, [{ id: threadId, title, created_at: thread.created_at }, ...threadsOf(a.id)]);
      state.threadId = threadId;
      saveSelection();
      renderThreads();
      transcript.replaceChildren();
    }
    const message = await api("POST", `/threads/${threadId}/messages`, { role: "user", content: text });
    transcript.querySelector(".transcript-hint")?.remove();
    transcript.append(messageEl(message));
    scrollToEnd(true);
  } catch (err) {
    transcript.querySelector(".transcript-hint")?.remove();
    transcript.append(errorBox("Could not send the message", messageOf(err), err instanceof ApiError ? err.code : null));
    if (!field.value) field.value = text;
    setComposer("idle");
    return;
  }
  const view = new RunView(threadId);
  view.setProgress("Starting…");
  transcript.append(view.el);
  await drive(view, streamEvents(`/threads/${threadId}/runs?${INCLUDE_RESULTS}`, { assistant_id: a.id }, startStream()));
}

/**
 * Feeds a run's event stream into its view, then leaves the composer in the right state.
 * @param {RunView} view
 * @param {AsyncGenerator<{ event: string, data: any }>} events
 */
async function drive(view, events) {
  state.active = view;
  setComposer("running");
  let ended = false;
  try {
    for await (const { event, data } of events) {
      if (event === "done") {
        ended = true;
        break;
      }
      view.handle(event, data);
    }
  } catch (err) {
    if (isAbort(err)) return;
    view.setProgress("");
    view.showStatus(errorBox("The request failed", messageOf(err), err instanceof ApiError ? err.code : null));
    if (state.active === view) {
      state.active = null;
      setComposer("idle");
    }
    return;
  }
  if (state.active !== view) return;
  const status = view.run?.status;
  if (status === "requires_action") setComposer("action");
  else if (!ended || !status || !FINAL.has(status)) {
    // The stream stopped before the run did (connection lost): follow it by polling.
    if (view.run) await view.pollUntilSettled();
    else setComposer("idle");
  } else {
    state.active = null;
    setComposer("idle");
    /** @type {HTMLTextAreaElement} */ ($("composer-input")).focus();
  }
}

async function cancelRun() {
  const view = state.active;
  if (!view?.run) return;
  const button = /** @type {HTMLButtonElement} */ ($("cancel-run"));
  button.disabled = true;
  try {
    await api("POST", `/threads/${view.threadId}/runs/${view.run.id}/cancel`);
  } catch (err) {
    toast(`Could not cancel the run: ${messageOf(err)}`, "error");
  } finally {
    button.disabled = false;
  }
  // A streaming run reports `thread.run.cancelled` on its stream; a waiting one has no stream: poll it.
  if (view.run.status === "requires_action") {
    view.actionBar?.remove();
    view.actionBar = null;
    setComposer("running");
    await view.pollUntilSettled();
  }
}
