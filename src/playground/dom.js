// Element lookups by id. The page's markup is fixed (index.html), so every id asked for exists; the casts
// say which kind of element the caller expects.

/** @param {string} id */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
export const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
