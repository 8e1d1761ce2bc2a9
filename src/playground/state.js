// The page's one shared state: what is selected and on screen. Sections read and write it directly
// (there is no store library); each field says what it means, and only the section named owns changes to it.

export const state = {
  /** Last /health answer (health.js). @type {any} */ health: null,
  /** Chat models Ollama has pulled (health.js). @type {string[]} */ models: [],
  /** @type {any[]} */ assistants: [],
  /** The assistant being edited/chatted with. @type {any} */ assistant: null,
  /** The form is creating a new assistant. */ creating: false,
  /** @type {string | null} */ threadId: null,
  /** Conversations listed in the sidebar, newest first (conversations.js). @type {any[]} */ conversations: [],
  /**
   * The conversation open instead of an assistant (conversations.js): the server's object, or one with `id`
   * null not yet created; null while an assistant is open. @type {any}
   */
  conversation: null,
  /** Vector stores for the knowledge menu (knowledge.js). @type {any[]} */ stores: [],
  /** File names by id, for citations and file lists (files.js). @type {Map<string, string>} */ fileNames: new Map(),
  /** Files being uploaded into the attached store (not yet vector store files). @type {any[]} */ uploads: [],
  /** Polls the attached store while files are ingested. @type {number | undefined} */ storeTimer: undefined,
  /**
   * The run or response on screen that is streaming (or, a run, waiting for tool outputs).
   * @type {import("./run-view.js").RunView | import("./response-view.js").ResponseView | null}
   */
  active: null,
  /** Aborts the event stream being read (composer.js). @type {AbortController | null} */ stream: null,
  /** The transcript sticks to its end until the person scrolls up to read. */ follow: true,
};
