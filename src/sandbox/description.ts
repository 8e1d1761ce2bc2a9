/**
 * The code_interpreter tool description given to the model. It must match what the prelude installs
 * (guest-prelude.ts) and the limits the sandbox enforces.
 */
export const SANDBOX_API_DESCRIPTION = `Runs JavaScript (ES2023) in an isolated QuickJS sandbox and returns the console output, the value of the last expression, and any files written.
Environment:
- No network, no Node.js APIs, no modules: process, require, import, fetch, XMLHttpRequest, WebAssembly and the DOM do not exist. Use the globals below.
- console.log(...values) (also info/warn/error) prints output; objects are shown as JSON-like text. Output is truncated past a size limit, so print summaries, not whole data sets.
- The value of the last expression is returned as the result (strings as-is, other values as JSON). If it is a promise, it is awaited; top-level await is not available, so end with (async () => { ... })() to use await.
- Files (the user's uploaded files are readable by name):
  files.list() -> array of file names
  files.exists(name) -> boolean
  files.readText(name) -> string (UTF-8)
  files.readBytes(name) -> Uint8Array
  files.writeText(name, text) and files.writeBytes(name, uint8ArrayOrArrayBuffer) create or replace a file that is returned to the user; write .png, .jpg, .gif, .webp or .svg to produce an image (for charts, write SVG text).
  File names cannot contain "/" or "\\".
- State persists between calls in the same conversation: variables, functions and written files stay. Top-level const/let cannot be declared twice, so in code you may run again use var or assign to globalThis.
- setTimeout/setInterval run on a virtual clock: callbacks fire in order without real waiting, and all of them run before the call returns.
- Limits: a few seconds of CPU time and about 64 MB of memory per call; going over stops the code with an error ("timeout: ...", "memory limit exceeded ...").
Errors come back as text (e.g. "SyntaxError: ... at main.js:3:5", "TypeError: ..."): read them, fix the code and run it again.`;
