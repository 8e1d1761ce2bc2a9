// The run view: one block in the transcript per run, fed by its stream events (or restored from its steps
// when the thread is reloaded), showing tool calls, the answer as it streams, and how the run ended. A run
// waiting for function outputs gets output boxes and a submit button here.
import { api, streamEvents } from "./api.js";
import { drive, finishActive, setComposer, startStream } from "./composer.js";
import { ensureFileNames } from "./files.js";
import { refreshHealth } from "./health.js";
import { messageOf, toast } from "./notify.js";
import { applyStepDelta, citedFileIds, errorBox, h, notice } from "./render.js";
import { TERMINAL_RUN_STATUSES } from "./rules.js";
import { state } from "./state.js";
import { TranscriptBlock } from "./transcript-block.js";
import { toolCard } from "./tool-card.js";
import { fillMessage, loadTranscript, messageEl, scrollToEnd } from "./transcript.js";

export class RunView extends TranscriptBlock {
  /** @param {string} threadId */
  constructor(threadId) {
    super("run");
    this.threadId = threadId;
    /** @type {any} */
    this.run = null;
    /** @type {Map<string, { step: any, el: HTMLElement }>} */
    this.steps = new Map();
    /** @type {Map<string, { el: HTMLElement, body: HTMLElement, textNode: Text | null }>} */
    this.messages = new Map();
    /** Function call ids waiting for outputs. @type {Set<string>} */
    this.pending = new Set();
    /** @type {HTMLElement | null} */
    this.actionBar = null;
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

  /**
   * The stream ended (`ended`: with its final `done`): the composer waits for tool outputs, is free, or the
   * run is followed by polling when the stream stopped before the run did (connection lost).
   * @param {boolean} ended
   */
  async streamEnded(ended) {
    const status = this.run?.status;
    if (status === "requires_action") setComposer("action");
    else if (!ended || !status || !TERMINAL_RUN_STATUSES.has(status)) {
      if (this.run) await this.pollUntilSettled();
      else setComposer("idle");
    } else finishActive();
  }

  /** Cancels the run: a streaming one then reports `thread.run.cancelled`; a waiting one has no stream: poll it. */
  async cancel() {
    if (!this.run) return;
    try {
      await api("POST", `/threads/${this.threadId}/runs/${this.run.id}/cancel`);
    } catch (err) {
      toast(`Could not cancel the run: ${messageOf(err)}`, "error");
    }
    if (this.run.status === "requires_action") {
      this.actionBar?.remove();
      this.actionBar = null;
      setComposer("running");
      await this.pollUntilSettled();
    }
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
    await ensureFileNames(citedFileIds(m.content));
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
      void refreshHealth(); // the model server may be what went away: the header should say so
    } else if (run.status === "cancelled") this.showStatus(notice("Run cancelled."));
    else if (run.status === "expired") this.showStatus(notice("The run expired: its tool outputs were not submitted in time.", "warn"));
    else if (run.status === "incomplete") {
      const reason = run.incomplete_details?.reason ?? "unknown reason";
      this.showStatus(notice(`The answer is incomplete (${reason}).`, "warn"));
    } else this.showStatus(null);
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
      if (TERMINAL_RUN_STATUSES.has(run.status) || run.status === "requires_action") {
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
