// One block in the transcript for one model turn, whichever API made it (a run's, or a response's): its element,
// a progress line kept last while it works, and one status line (an error box or a notice) at its end. The run
// and response views extend it, so both show progress and endings the same way.
import { h } from "./render.js";

export class TranscriptBlock {
  /** @param {string} className the block's classes, e.g. "run" or "run response" */
  constructor(className) {
    this.el = h("div", { class: className });
    /** @type {HTMLElement | null} */
    this.statusEl = null;
    this.progress = h("p", { class: "run-progress", role: "status" }, "");
  }

  /** @param {string} text what the block is doing ("Thinking…"); empty: nothing */
  setProgress(text) {
    this.progress.textContent = text;
    if (text && !this.progress.isConnected) this.el.append(this.progress);
    if (!text) this.progress.remove();
  }

  /** Keeps the progress line last. @param {HTMLElement} el */
  insert(el) {
    if (this.progress.isConnected) this.el.insertBefore(el, this.progress);
    else this.el.append(el);
  }

  /** The one status line at the block's end, replacing the one before. @param {HTMLElement | null} el */
  showStatus(el) {
    this.statusEl?.remove();
    this.statusEl = el;
    if (el) this.el.append(el);
  }
}
