// Knowledge: the vector store file_search reads — the assistant's (its tool_resources), or the open
// conversation's (the one the page names in each response's file_search tool) — and its files, with upload
// by drop or picker and ingestion progress polled until every file is done.
import { api } from "./api.js";
import { chooseConversationStore, conversationSettings } from "./conversations.js";
import { $, input } from "./dom.js";
import { ensureFileNames, openFile } from "./files.js";
import { messageOf, toast } from "./notify.js";
import { errorBox, formatBytes, h, richText, statusLabel } from "./render.js";
import { state } from "./state.js";

/** The files last listed for the attached store, kept so uploads can re-render without a new request. @type {any[] | null} */
let lastStoreFiles = null;

/** The assistant or conversation whose store the section shows (null: none, the section is hidden). */
function owner() {
  return state.assistant ?? state.conversation;
}

/** Shows the section for the selected assistant or conversation (hides it when none): its store menu and files. */
export async function renderKnowledge() {
  const a = owner();
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
  if (owner() !== a) return;
  renderStoreSelect();
  await refreshStoreFiles();
}

/** The page manages one store per assistant or conversation: for an assistant, the first its file_search reads. */
function attachedStoreId() {
  if (state.conversation) return conversationSettings().storeId;
  return state.assistant?.tool_resources?.file_search?.vector_store_ids?.[0] ?? null;
}

/** The name a store created here gets when none is typed. */
function defaultStoreName() {
  return state.conversation ? "Conversation files" : `${state.assistant?.name || "Assistant"} files`;
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
 * Attaches a vector store to the assistant or conversation (file_search reads it), enabling file_search;
 * null detaches.
 * @param {string | null} storeId
 */
export async function attachStore(storeId) {
  if (state.conversation) {
    await chooseConversationStore(storeId);
    renderStoreSelect();
    state.uploads = [];
    await refreshStoreFiles();
    return;
  }
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

export async function createStore() {
  const field = input("vs-name");
  const name = field.value.trim() || defaultStoreName();
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

/**
 * Uploads files into the attached store (creating and attaching one when there is none).
 * @param {File[]} files
 */
export async function uploadFiles(files) {
  if (!owner() || files.length === 0) return;
  let storeId = attachedStoreId();
  if (!storeId) {
    try {
      const store = await api("POST", "/vector_stores", { name: defaultStoreName() });
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
      const upload = /** @type {(typeof uploads)[number]} */ (uploads[i]);
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
      h("span", { class: `chip ${f.status}` }, statusLabel(f.status)),
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
