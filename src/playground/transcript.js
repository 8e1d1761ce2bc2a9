// The transcript: a thread's history rebuilt from the API (messages, and runs with their steps), and the
// message bubbles that both the history and streaming runs (run-view.js) render.
import { ApiError, api } from "./api.js";
import { setComposer } from "./composer.js";
import { $ } from "./dom.js";
import { ensureFileNames, fileOps, imageOf } from "./files.js";
import { messageOf } from "./notify.js";
import { annotatedText, errorBox, h, notice } from "./render.js";
import { INCLUDE_RESULTS } from "./rules.js";
import { RunView } from "./run-view.js";
import { state } from "./state.js";
import { renderThreads, saveThreads, threadsOf } from "./threads.js";

/** @param {string} text */
export function showTranscriptHint(text) {
  $("transcript").replaceChildren(h("p", { class: "transcript-hint" }, text));
}

/**
 * Renders a thread from the API; a run still going (or waiting for tool outputs) becomes the active run.
 * @param {string} threadId
 */
export async function loadTranscript(threadId) {
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
export function messageEl(m) {
  const body = h("div", { class: "bubble" });
  fillMessage(body, m);
  const who = m.role === "user" ? "You" : state.assistant?.name || "Assistant";
  return h("article", { class: `msg ${m.role}`, "data-message-id": m.id, "aria-label": `${who} said` }, h("div", { class: "who" }, who), body);
}

/**
 * @param {HTMLElement} body
 * @param {any} m
 */
export function fillMessage(body, m) {
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

/** @param {boolean} [force] scroll even if the person scrolled up to read */
export function scrollToEnd(force = false) {
  const el = $("transcript");
  if (force) state.follow = true;
  if (state.follow) el.scrollTop = el.scrollHeight;
}
