// The API key prompt: a dialog shown when the server answers 401 (api.js asks through onUnauthorized) or
// when the person opens it. The key lives in session storage only (api.js).
import { apiKey, setApiKey } from "./api.js";
import { $, input } from "./dom.js";

/** Settles the prompt on screen, so a second prompt resolves the first as given up. @type {((ok: boolean) => void) | null} */
let keyResolver = null;

/**
 * Shows the key dialog. `message` is the server's 401 text, or null when the person opened it.
 * @param {string | null} message
 * @returns {Promise<boolean>}
 */
export function promptForKey(message) {
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

export function renderKeyButton() {
  const button = $("key-button");
  button.textContent = apiKey() ? "API key ✓" : "API key";
  button.setAttribute("aria-label", apiKey() ? "API key (set): change or forget it" : "Enter an API key");
}
