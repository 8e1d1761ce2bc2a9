// The response view: one block in a conversation's transcript per response (Responses API), fed by its
// stream events, or restored from the conversation's items when it is opened again. It shows the tool calls,
// the answer as it streams and how the response ended: run-view.js's counterpart, drawn with the same
// bubbles (transcript.js) and tool cards (tool-card.js), so a conversation looks like a thread.
import { api } from "./api.js";
import { finishActive, setComposer } from "./composer.js";
import { ensureFileNames } from "./files.js";
import { refreshHealth } from "./health.js";
import { messageOf, toast } from "./notify.js";
import { citedFileIds, errorBox, h, notice } from "./render.js";
import { TERMINAL_RESPONSE_STATUSES } from "./rules.js";
import { state } from "./state.js";
import { TranscriptBlock } from "./transcript-block.js";
import { itemCard } from "./tool-card.js";
import { fillMessage, loadConversationTranscript, messageEl, scrollToEnd } from "./transcript.js";

/** Output item types drawn as tool cards. */
const TOOL_ITEMS = new Set(["file_search_call", "code_interpreter_call", "function_call"]);
/** Tool call events that only move the call's status on (`response.file_search_call.searching` → searching). */
const CALL_PROGRESS = /^response\.(file_search_call|code_interpreter_call)\.(in_progress|searching|interpreting)$/;

/** @typedef {{ item: any, el: HTMLElement, body?: HTMLElement, textNode?: Text | null }} ItemEntry */

export class ResponseView extends TranscriptBlock {
  /** @param {string} conversationId */
  constructor(conversationId) {
    super("run response");
    this.conversationId = conversationId;
    /** The response as its last event showed it (null for history, which has only the items). @type {any} */
    this.response = null;
    /** Output items on screen, by item id. @type {Map<string, ItemEntry>} */
    this.items = new Map();
    /** function_call_output items by call_id (history: the page itself offers no functions). @type {Map<string, string>} */
    this.outputs = new Map();
  }

  /**
   * Renders one response's output from the conversation's items (history), in order.
   * @param {any[]} items
   */
  restore(items) {
    for (const item of items) if (item.type === "function_call_output") this.outputs.set(item.call_id, item.output);
    for (const item of items) this.show(item);
  }

  /** @param {string} event @param {any} data */
  handle(event, data) {
    const progress = CALL_PROGRESS.exec(event);
    if (progress) {
      const entry = this.items.get(data.item_id);
      if (entry) {
        entry.item.status = progress[2];
        this.renderTool(entry);
      }
      return scrollToEnd();
    }
    switch (event) {
      case "response.created":
      case "response.queued":
      case "response.in_progress":
        this.response = data.response;
        this.el.dataset.responseId = data.response.id; // for a person (or a test) looking for it in the API
        this.setProgress("Thinking…");
        break;
      case "response.output_item.added":
        this.itemAdded(data.item);
        break;
      case "response.output_text.delta": {
        const entry = this.items.get(data.item_id);
        if (entry?.textNode) entry.textNode.data += data.delta ?? "";
        break;
      }
      case "response.code_interpreter_call_code.delta": {
        const entry = this.items.get(data.item_id);
        if (entry) {
          entry.item.code = (entry.item.code ?? "") + (data.delta ?? "");
          this.renderTool(entry);
        }
        break;
      }
      case "response.code_interpreter_call_code.done": {
        const entry = this.items.get(data.item_id);
        if (entry) {
          entry.item.code = data.code ?? entry.item.code;
          this.renderTool(entry);
        }
        break;
      }
      case "response.output_item.done":
        // Whole now (a message with its citations, a call with its results or outputs): draw it as history does.
        void this.itemDone(data.item);
        break;
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        this.settled(data.response);
        break;
      case "error":
        this.setProgress("");
        this.showStatus(errorBox("The event stream broke", data?.message ?? "unknown error", data?.code ?? null));
        break;
      default:
        // Text and annotation "done" events, content parts, reasoning: the item's own done event has it all.
        break;
    }
    scrollToEnd();
  }

  /** An item opened in the stream: an empty bubble that deltas fill, or a tool card. @param {any} item */
  itemAdded(item) {
    if (this.items.has(item.id)) return;
    if (item.type === "message") {
      const el = messageEl({ ...item, content: [] });
      const body = /** @type {HTMLElement} */ (el.querySelector(".bubble"));
      el.classList.add("streaming");
      el.setAttribute("aria-busy", "true");
      const textNode = document.createTextNode("");
      body.replaceChildren(h("div", { class: "text" }, textNode));
      this.items.set(item.id, { item, el, body, textNode });
      this.insert(el);
      this.setProgress("");
    } else if (TOOL_ITEMS.has(item.type)) {
      const entry = { item: structuredClone(item), el: h("div", { class: "step" }) };
      this.items.set(item.id, entry);
      this.insert(entry.el);
      this.renderTool(entry);
    }
    // Reasoning stays off screen, as it does for runs; the progress line says the model is at work.
  }

  /** @param {any} item */
  async itemDone(item) {
    if (item.type === "message") await ensureFileNames(citedFileIds(item.content));
    this.show(item);
  }

  /** Draws an item whole: fills the entry the stream opened, or adds one (history). @param {any} item */
  show(item) {
    const entry = this.items.get(item.id);
    if (item.type === "message") {
      if (entry?.body) {
        fillMessage(entry.body, item);
        entry.textNode = null;
        entry.el.classList.remove("streaming");
        entry.el.removeAttribute("aria-busy");
      } else {
        const el = messageEl(item);
        this.items.set(item.id, { item, el, body: /** @type {HTMLElement} */ (el.querySelector(".bubble")), textNode: null });
        this.insert(el);
      }
    } else if (TOOL_ITEMS.has(item.type)) {
      if (entry) {
        entry.item = structuredClone(item);
        this.renderTool(entry);
      } else {
        const created = { item: structuredClone(item), el: h("div", { class: "step" }) };
        this.items.set(item.id, created);
        this.insert(created.el);
        this.renderTool(created);
      }
    } else if (item.type === "compaction") {
      this.insert(notice("Earlier turns were compacted into a summary here."));
    }
    scrollToEnd();
  }

  /** @param {ItemEntry} entry */
  renderTool(entry) {
    entry.el.replaceChildren(itemCard(entry.item, this.outputs.get(entry.item.call_id) ?? null));
  }

  /** The response ended (completed, incomplete, failed or cancelled): say how. @param {any} response */
  settled(response) {
    this.response = response;
    this.setProgress("");
    for (const entry of this.items.values()) {
      entry.el.classList.remove("streaming");
      entry.el.removeAttribute("aria-busy");
    }
    if (response.status === "failed") {
      const e = response.error ?? {};
      this.showStatus(errorBox("The response failed", e.message ?? "The response failed without a reason.", e.code ?? null));
      void refreshHealth(); // the model server may be what went away: the header should say so
    } else if (response.status === "cancelled") this.showStatus(notice("Response cancelled."));
    else if (response.status === "incomplete") {
      const reason = response.incomplete_details?.reason ?? "unknown reason";
      this.showStatus(notice(`The answer is incomplete (${reason}).`, "warn"));
    } else this.showStatus(null);
  }

  /**
   * The stream ended (`ended`: with its final `[DONE]`). A response that has not ended (the connection was
   * lost, or it was cancelled: the API sends no event for that) is followed by polling.
   * @param {boolean} ended
   */
  async streamEnded(ended) {
    const status = this.response?.status;
    if (status && TERMINAL_RESPONSE_STATUSES.has(status)) return this.finish();
    if (this.response) return this.pollUntilSettled();
    this.setProgress("");
    this.showStatus(errorBox("No answer came", ended ? "The server ended the stream before the response started." : "The connection closed before the response started. Send the message again."));
    finishActive();
  }

  /** Cancels the response (the page makes background responses, which can be). */
  async cancel() {
    if (!this.response) return;
    try {
      const cancelled = await api("POST", `/responses/${this.response.id}/cancel`);
      this.settled(cancelled);
      // Over once the server says so: the composer must not wait for the stream to close as well (it may close
      // before or after this answer comes).
      if (TERMINAL_RESPONSE_STATUSES.has(cancelled.status)) this.finish();
    } catch (err) {
      toast(`Could not cancel the response: ${messageOf(err)}`, "error");
    }
  }

  /** This response is over: the composer is free again, unless another run or response has taken it meanwhile. */
  finish() {
    if (state.active === this) finishActive();
  }

  /** Follows the response until it ends; one that ended well is shown from the conversation's items. */
  async pollUntilSettled() {
    const deadline = Date.now() + 10 * 60_000;
    setComposer("running");
    while (Date.now() < deadline && state.active === this) {
      let response;
      try {
        response = await api("GET", `/responses/${this.response.id}`);
      } catch (err) {
        this.showStatus(errorBox("Lost track of the response", messageOf(err)));
        break;
      }
      if (TERMINAL_RESPONSE_STATUSES.has(response.status)) {
        if ((response.status === "completed" || response.status === "incomplete") && state.conversation?.id === this.conversationId && state.active === this) {
          state.active = null;
          setComposer("idle");
          await loadConversationTranscript(this.conversationId);
          return;
        }
        this.settled(response);
        break;
      }
      this.setProgress("Working…");
      await new Promise((r) => setTimeout(r, 500));
    }
    if (state.active === this) finishActive();
  }
}
