// Telling the person about problems and side results: banners for problems that last until solved,
// toasts for the outcome of a side action.
import { $ } from "./dom.js";
import { h, richText } from "./render.js";

/**
 * One line per problem (key), shown at the top until it is solved.
 * @param {string} key
 * @param {string | null} message
 */
export function setBanner(key, message) {
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
export function toast(message, kind = "info") {
  const el = h("div", { class: `toast ${kind}` }, richText(message));
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 9000 : 4000);
}

/** @param {unknown} err */
export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}
