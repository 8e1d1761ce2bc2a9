// The composer: sending a message — to an assistant (creating the thread on the first one, then starting
// the run) or in a conversation (creating it on the first one, then a streamed response) — feeding the event
// stream to a run or response view, and cancelling. It also owns the one stream being read: a new one, or
// leaving the thread or conversation, aborts the last (the run or response itself goes on on the server).
import { ApiError, api, isAbort, streamEvents } from "./api.js";
import { ensureConversation, responseTools } from "./conversations.js";
import { $, input } from "./dom.js";
import { watchForDownload } from "./health.js";
import { messageOf } from "./notify.js";
import { clip, errorBox } from "./render.js";
import { ResponseView } from "./response-view.js";
import { INCLUDE_RESULTS, RESPONSE_INCLUDES } from "./rules.js";
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
      ? state.conversation
        ? "The model is answering…"
        : "The assistant is answering…"
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

/** Stops reading the current stream (the run or response itself goes on on the server). */
export function stopStream() {
  state.stream?.abort();
  state.stream = null;
  state.active = null;
}

export async function send() {
  if (state.conversation) return sendInConversation();
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
 * Sends the message as a response in the open conversation (creating the conversation on the first one),
 * streamed, with the model and tools its panel sets. The response runs in the background on the server,
 * so it can be cancelled as a run can; its items join the conversation when it ends.
 */
async function sendInConversation() {
  const field = /** @type {HTMLTextAreaElement} */ ($("composer-input"));
  const text = field.value.trim();
  if (!state.conversation || !text || /** @type {HTMLButtonElement} */ ($("send")).disabled) return;
  field.value = "";
  setComposer("running");
  const transcript = $("transcript");
  let conversationId;
  try {
    conversationId = await ensureConversation(clip(text, 60));
  } catch (err) {
    transcript.querySelector(".transcript-hint")?.remove();
    transcript.append(errorBox("Could not start the conversation", messageOf(err), err instanceof ApiError ? err.code : null));
    if (!field.value) field.value = text;
    setComposer("idle");
    return;
  }
  transcript.querySelector(".transcript-hint")?.remove();
  // Shown now; the server adds the message to the conversation with the answer.
  transcript.append(messageEl({ id: null, role: "user", content: [{ type: "input_text", text }] }));
  scrollToEnd(true);
  const view = new ResponseView(conversationId);
  view.setProgress("Starting…");
  transcript.append(view.el);
  const body = {
    model: input("c-model").value,
    conversation: conversationId,
    input: text,
    tools: responseTools(),
    include: RESPONSE_INCLUDES,
    background: true,
  };
  await drive(view, streamEvents("/responses", body, startStream()));
}

/**
 * Feeds a run's or a response's event stream into its view; when the stream ends, the view leaves the
 * composer in the right state (streamEnded).
 * @param {import("./run-view.js").RunView | import("./response-view.js").ResponseView} view
 * @param {AsyncGenerator<{ event: string, data: any }>} events
 */
export async function drive(view, events) {
  state.active = view;
  setComposer("running");
  watchForDownload(); // the model's first use may download it: the header shows that, if it is told soon
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
  await view.streamEnded(ended);
}

/** The run or response on screen has ended: the composer is free again, ready for the next message. */
export function finishActive() {
  state.active = null;
  setComposer("idle");
  /** @type {HTMLTextAreaElement} */ ($("composer-input")).focus();
}

/** The Cancel button: the view on screen knows how its run or response is cancelled. */
export async function cancelActive() {
  const view = state.active;
  if (!view) return;
  const button = /** @type {HTMLButtonElement} */ ($("cancel-run"));
  button.disabled = true;
  try {
    await view.cancel();
  } finally {
    button.disabled = false;
  }
}
