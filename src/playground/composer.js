// The composer: sending a message (creating the thread on the first one), starting the run and feeding
// its event stream to a run view, and cancelling. It also owns the one stream being read: a new one, or
// leaving the thread, aborts the last (the run itself goes on on the server).
import { ApiError, api, isAbort, streamEvents } from "./api.js";
import { $ } from "./dom.js";
import { messageOf, toast } from "./notify.js";
import { clip, errorBox } from "./render.js";
import { INCLUDE_RESULTS, TERMINAL_RUN_STATUSES } from "./rules.js";
import { RunView } from "./run-view.js";
import { state } from "./state.js";
import { renderThreads, saveSelection, saveThreads, threadsOf } from "./threads.js";
import { messageEl, scrollToEnd } from "./transcript.js";

/** @param {"idle" | "running" | "action" | "disabled"} mode */
export function setComposer(mode) {
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

export function startStream() {
  state.stream?.abort();
  state.stream = new AbortController();
  return state.stream.signal;
}

/** Stops reading the current stream (the run itself goes on on the server). */
export function stopStream() {
  state.stream?.abort();
  state.stream = null;
  state.active = null;
}

export async function send() {
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
 * @param {import("./run-view.js").RunView} view
 * @param {AsyncGenerator<{ event: string, data: any }>} events
 */
export async function drive(view, events) {
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
  else if (!ended || !status || !TERMINAL_RUN_STATUSES.has(status)) {
    // The stream stopped before the run did (connection lost): follow it by polling.
    if (view.run) await view.pollUntilSettled();
    else setComposer("idle");
  } else {
    state.active = null;
    setComposer("idle");
    /** @type {HTMLTextAreaElement} */ ($("composer-input")).focus();
  }
}

export async function cancelRun() {
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
