/**
 * JavaScript evaluated inside every new QuickJS context. It is a function expression called once with the host
 * bridge (plain functions that accept and return only strings and ArrayBuffers); it installs the guest globals
 * (`console`, `files`, timers) and returns the internal helpers the host needs. The bridge itself never becomes
 * a global, so guest code can reach it only through these wrappers.
 *
 * Formatting of values happens here, inside the sandbox, on purpose: a hostile getter or toString then runs
 * under the sandbox's interrupt deadline instead of on the host.
 */
export const GUEST_PRELUDE = String.raw`(function (host) {
  "use strict";
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const MAX_ITEMS = 100;
  const MAX_DEPTH = 4;
  const IDENT = /^[A-Za-z_$][\w$]*$/;

  function errorText(e) {
    let text = String(e.name) + ": " + String(e.message);
    // Frames inside this prelude (files.*, console.*) are noise to the model reading the error.
    const stack = typeof e.stack === "string" ? e.stack.split("\n").filter((l) => l && !l.includes("prelude.js")) : [];
    if (stack.length) text += "\n" + stack.slice(0, 6).join("\n");
    if (stack.length > 6) text += "\n    ... " + (stack.length - 6) + " more frames";
    return text;
  }

  function list(items, depth, seen, total) {
    const more = total > items.length ? ", ... " + (total - items.length) + " more" : "";
    return items.map((x) => show(x, depth + 1, seen)).join(", ") + more;
  }

  function showObject(v, depth, seen) {
    if (v instanceof Error) return errorText(v);
    if (v instanceof Date) return isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v instanceof Promise) return "Promise {}";
    if (seen.includes(v)) return "[Circular]";
    if (depth > MAX_DEPTH) return isArray(v) ? "[Array]" : "[Object]";
    seen.push(v);
    try {
      if (isArray(v)) return "[" + list(v.slice(0, MAX_ITEMS), depth, seen, v.length) + "]";
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        return v.constructor.name + "(" + v.length + ") [" + list(Array.from(v.subarray(0, MAX_ITEMS)), depth, seen, v.length) + "]";
      }
      if (v instanceof Map) {
        const entries = Array.from(v).slice(0, MAX_ITEMS);
        return "Map(" + v.size + ") {" + entries.map(([k, x]) => show(k, depth + 1, seen) + " => " + show(x, depth + 1, seen)).join(", ") + "}";
      }
      if (v instanceof Set) return "Set(" + v.size + ") {" + list(Array.from(v).slice(0, MAX_ITEMS), depth, seen, v.size) + "}";
      const keys = Object.keys(v);
      const body = keys.slice(0, MAX_ITEMS).map((k) => (IDENT.test(k) ? k : stringify(k)) + ": " + show(v[k], depth + 1, seen));
      if (keys.length > MAX_ITEMS) body.push("... " + (keys.length - MAX_ITEMS) + " more");
      const name = v.constructor && v.constructor.name;
      return (name && name !== "Object" ? name + " " : "") + "{" + body.join(", ") + "}";
    } finally {
      seen.pop();
    }
  }

  function show(v, depth, seen) {
    switch (typeof v) {
      case "string": return depth ? stringify(v) : v;
      case "bigint": return v + "n";
      case "symbol": return v.toString();
      case "function": return "[Function " + (v.name || "anonymous") + "]";
      case "object": return v === null ? "null" : showObject(v, depth, seen);
      default: return String(v);
    }
  }

  // Console output is batched: one host call per line would dominate the cost of a print loop. Once the host
  // reports its output budget spent, further lines are not even formatted.
  let buffered = [];
  let bufferedLength = 0;
  let outputFull = false;
  function flush() {
    if (buffered.length && !outputFull) outputFull = !host.log(buffered.join(""));
    buffered = [];
    bufferedLength = 0;
  }
  const write = (...args) => {
    if (outputFull) return;
    const line = args.map((a) => show(a, 0, [])).join(" ") + "\n";
    buffered.push(line);
    bufferedLength += line.length;
    if (bufferedLength >= 8192) flush();
  };
  globalThis.console = { log: write, info: write, warn: write, error: write, debug: write, trace: write, dir: write,
    table: (data) => write(data) };

  function fileName(name) {
    if (typeof name !== "string") throw new TypeError("file name must be a string, got " + typeof name);
    return name;
  }
  function toBuffer(bytes) {
    if (bytes instanceof ArrayBuffer) return bytes.slice(0);
    if (ArrayBuffer.isView(bytes)) return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    if (isArray(bytes)) return new Uint8Array(bytes).buffer;
    throw new TypeError("files.writeBytes expects a Uint8Array, ArrayBuffer or array of byte values");
  }
  globalThis.files = Object.freeze({
    list: () => JSON.parse(host.list()),
    exists: (name) => JSON.parse(host.list()).includes(name),
    readText: (name) => host.readText(fileName(name)),
    readBytes: (name) => new Uint8Array(host.readBytes(fileName(name))),
    writeText: (name, text) => { host.writeText(fileName(name), String(text)); },
    writeBytes: (name, bytes) => { host.writeBytes(fileName(name), toBuffer(bytes)); },
  });

  // Helpful failures instead of "not defined" for the host APIs models most often reach for.
  const unavailable = (what, hint) => function () { throw new Error(what + " is not available in this sandbox; " + hint); };
  globalThis.require = unavailable("require()", "there are no modules: use the global files API (files.readText(name), files.writeText(name, text), ...)");
  globalThis.fetch = unavailable("fetch()", "the sandbox has no network access");

  // Timers run on a virtual clock: callbacks fire in due order, without real waiting, before the call returns.
  // Whatever is still scheduled when the call ends is dropped, so nothing outlives a call.
  let timers = [];
  let nextTimerId = 1;
  let clock = 0;
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("timer callback must be a function");
    const delay = Math.max(0, Number(ms) || 0);
    const timer = { id: nextTimerId++, at: clock + delay, fn, args, every: repeat ? Math.max(1, delay) : 0 };
    timers.push(timer);
    return timer.id;
  }
  const clearTimer = (id) => { timers = timers.filter((t) => t.id !== id); };
  globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  globalThis.clearTimeout = clearTimer;
  globalThis.clearInterval = clearTimer;
  if (typeof globalThis.queueMicrotask !== "function") {
    globalThis.queueMicrotask = (fn) => { Promise.resolve().then(fn); };
  }

  function runTimer() {
    if (!timers.length) return false;
    let next = timers[0];
    for (const t of timers) if (t.at < next.at || (t.at === next.at && t.id < next.id)) next = t;
    clock = next.at;
    if (next.every) next.at += next.every;
    else timers = timers.filter((t) => t !== next);
    next.fn(...next.args);
    return true;
  }

  function formatError(e) {
    if (e instanceof Error) return errorText(e);
    return "Uncaught " + show(e, 1, []);
  }

  function formatResult(v) {
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    try {
      const json = stringify(v);
      if (json !== undefined) return json;
    } catch (e) {
      // Cycles and BigInt make JSON fail; the readable form still helps.
    }
    return show(v, 0, []);
  }

  function endCall() {
    flush();
    outputFull = false;
    timers = [];
  }

  return { formatError, formatResult, runTimer, endCall };
})`;
