// Server files as the page shows them: their names (for citations and lists), opening one in a tab, and
// images. Every download goes through the API with the key, so nothing links to a file URL directly.
import { ApiError, api } from "./api.js";
import { messageOf, toast } from "./notify.js";
import { h } from "./render.js";
import { state } from "./state.js";

/**
 * Looks up the names of files not yet known; a deleted file is named as such rather than asked again.
 * @param {string[]} ids
 */
export async function ensureFileNames(ids) {
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
export async function openFile(fileId, page) {
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

/** What render.js's annotatedText needs to label and open cited files. */
export const fileOps = {
  fileLabel: (/** @type {string} */ id) => state.fileNames.get(id) ?? id,
  openFile: (/** @type {string} */ id, /** @type {number | null} */ page) => void openFile(id, page),
};

/**
 * An image file (code_interpreter output), fetched with the key into a blob: URL (the CSP allows blob:
 * images, not the API's URLs, which need the key anyway).
 * @param {string} fileId
 */
export function imageOf(fileId) {
  const img = /** @type {HTMLImageElement} */ (h("img", { class: "output-image", alt: `Image ${fileId}` }));
  api("GET", `/files/${fileId}/content`, undefined, { raw: true })
    .then((/** @type {Response} */ res) => res.blob())
    .then((/** @type {Blob} */ blob) => (img.src = URL.createObjectURL(blob)))
    .catch((/** @type {unknown} */ err) => img.replaceWith(h("p", { class: "muted small" }, `Could not load image ${fileId}: ${messageOf(err)}`)));
  return img;
}
