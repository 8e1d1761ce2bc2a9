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
- State persists between calls in the same conversation: top-level variables, functions, classes and written files stay, and re-running code that declares the same names is fine. The state can be reset (a note in the output says so), so re-create what you need if a name is missing.
- setTimeout/setInterval run on a virtual clock: callbacks fire in order without real waiting, and all of them run before the call returns (an interval that is never cleared runs until the time limit).
- Limits: each call gets a few seconds and a few tens of MB of memory; going over stops the code with an error ("timeout: ...", "memory limit exceeded ..."). Work in steps and print compact summaries.
Errors come back as text (e.g. "SyntaxError: ... at main.js:3:5", "TypeError: ..."): read them, fix the code and run it again.`;
