// The transcript: a thread's history rebuilt from the API (messages, and runs with their steps), or a
// conversation's (its items, each response's output grouped as one block), and the message bubbles that
// histories, streaming runs (run-view.js) and streaming responses (response-view.js) all render.
import { ApiError, api } from "./api.js";
import { setComposer } from "./composer.js";
import { forgetConversation } from "./conversations.js";
import { $ } from "./dom.js";
import { ensureFileNames, fileOps, imageOf } from "./files.js";
import { messageOf } from "./notify.js";
import { annotatedText, citedFileIds, errorBox, h, notice } from "./render.js";
import { ResponseView } from "./response-view.js";
import { INCLUDE_RESULTS, RESPONSE_INCLUDE_QUERY } from "./rules.js";
import { RunView } from "./run-view.js";
import { state } from "./state.js";
import { renderThreads, saveThreads, threadsOf } from "./threads.js";

/** The most items of a conversation the page reads (in pages of 100); older ones beyond it are not shown. */
const MAX_CONVERSATION_ITEMS = 1000;

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
    await ensureFileNames(messages.data.flatMap((/** @type {any} */ m) => citedFileIds(m.content)));
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

/**
 * Renders a conversation (or a thread read as one) from its items: user messages on their own, everything
 * else up to the next user message as one response block, as it looked while it streamed.
 * @param {string} conversationId
 */
export async function loadConversationTranscript(conversationId) {
  const transcript = $("transcript");
  transcript.replaceChildren(h("p", { class: "transcript-hint" }, "Loading…"));
  try {
    /** @type {any[]} */
    const items = [];
    let after = "";
    for (;;) {
      const page = await api("GET", `/conversations/${conversationId}/items?order=asc&limit=100${after}&${RESPONSE_INCLUDE_QUERY}`);
      items.push(...page.data);
      if (!page.has_more || page.data.length === 0 || items.length >= MAX_CONVERSATION_ITEMS) break;
      after = `&after=${encodeURIComponent(page.last_id)}`;
    }
    await ensureFileNames(items.flatMap((item) => (item.type === "message" ? citedFileIds(item.content) : [])));
    if (state.conversation?.id !== conversationId) return;
    transcript.replaceChildren();
    if (items.length === 0) showTranscriptHint("No messages yet: send one to start.");
    /** @type {any[]} */
    let turn = [];
    const flush = () => {
      if (turn.length === 0) return;
      const view = new ResponseView(conversationId);
      view.restore(turn);
      transcript.append(view.el);
      turn = [];
    };
    for (const item of items) {
      if (item.type === "message" && item.role !== "assistant") {
        flush();
        transcript.append(messageEl(item));
      } else turn.push(item);
    }
    flush();
    scrollToEnd(true);
  } catch (err) {
    if (state.conversation?.id !== conversationId) return;
    if (err instanceof ApiError && err.status === 404) {
      forgetConversation(conversationId);
      transcript.replaceChildren(notice("This conversation no longer exists on the server; it was removed from the list."));
      return;
    }
    transcript.replaceChildren(errorBox("Could not load the conversation", messageOf(err), err instanceof ApiError ? err.code : null));
  }
}

/** Who said it, as the bubble's heading. @param {string} role */
function speaker(role) {
  if (role === "user") return "You";
  if (role === "system") return "System";
  if (role === "developer") return "Developer";
  return state.assistant?.name || "Assistant";
}

/** A thread message or a conversation's message item (same id, role, status and content list). @param {any} m */
export function messageEl(m) {
  const body = h("div", { class: "bubble" });
  fillMessage(body, m);
  const who = speaker(m.role);
  return h("article", { class: `msg ${m.role}`, "data-message-id": m.id, "aria-label": `${who} said` }, h("div", { class: "who" }, who), body);
}

/**
 * Fills a bubble with a message's content parts: the Assistants API's (text, image_file, image_url) or the
 * Responses API's (input_text, output_text, input_image, input_file).
 * @param {HTMLElement} body
 * @param {any} m
 */
export function fillMessage(body, m) {
  body.replaceChildren();
  for (const part of m.content ?? []) {
    if (part.type === "text") body.append(annotatedText(part.text.value, part.text.annotations ?? [], fileOps));
    else if (part.type === "output_text" || part.type === "input_text") body.append(annotatedText(part.text ?? "", part.annotations ?? [], fileOps));
    else if (part.type === "image_file") body.append(imageOf(part.image_file.file_id));
    else if (part.type === "image_url") body.append(h("p", { class: "muted" }, `[image: ${part.image_url.url}]`));
    else if (part.type === "input_image") body.append(part.file_id ? imageOf(part.file_id) : h("p", { class: "muted" }, `[image${part.image_url ? `: ${part.image_url}` : ""}]`));
    else if (part.type === "input_file") body.append(h("p", { class: "muted" }, `[file: ${part.filename ?? part.file_id ?? "attached document"}]`));
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
