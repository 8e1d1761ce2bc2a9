/**
 * The only host functions a guest can reach (through the prelude's wrappers). Each takes and returns strings or
 * ArrayBuffers; host objects are never handed to the guest, and guest objects are never inspected on the host.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import { GUEST_PRELUDE } from "./guest-prelude.js";
import type { FileStore } from "./file-store.js";

/** Host-side state the bridge reads and writes during a call. */
export interface BridgeTarget {
  readonly store: FileStore;
  /** Takes a chunk of console output; false once the output budget is spent. */
  log(text: string): boolean;
  /** Largest single transfer into the guest, so a huge file fails cleanly rather than exhausting WASM memory. */
  readonly maxTransferBytes: number;
}

/** Handles to the prelude's internal helpers; owned by the session and disposed with it. */
export interface PreludeHelpers {
  formatError: QuickJSHandle;
  formatResult: QuickJSHandle;
  runTimer: QuickJSHandle;
  /** Flushes buffered console output and drops pending timers. */
  endCall: QuickJSHandle;
}

const utf8 = new TextDecoder("utf-8");

function stringArg(ctx: QuickJSContext, handle: QuickJSHandle | undefined, what: string): string {
  if (!handle || ctx.typeof(handle) !== "string") throw new TypeError(`${what} must be a string`);
  return ctx.getString(handle);
}

function checkTransfer(target: BridgeTarget, name: string, size: number): void {
  if (size > target.maxTransferBytes) {
    throw new Error(`file ${JSON.stringify(name)} is too large to load into sandbox memory (${size} bytes; the limit is ${target.maxTransferBytes})`);
  }
}

function bytesArg(ctx: QuickJSContext, handle: QuickJSHandle | undefined): Uint8Array {
  if (!handle) throw new TypeError("bytes must be an ArrayBuffer");
  // getArrayBuffer returns a view into WASM memory: copy it out before the memory can grow or be reused.
  const view = ctx.getArrayBuffer(handle);
  try {
    return view.value.slice();
  } finally {
    view.dispose();
  }
}

function defineHostFunctions(ctx: QuickJSContext, host: QuickJSHandle, target: BridgeTarget): void {
  const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | undefined): void => {
    ctx.newFunction(name, fn).consume((handle) => ctx.setProp(host, name, handle));
  };
  define("log", (text) => (target.log(stringArg(ctx, text, "log text")) ? ctx.true : ctx.false));
  define("list", () => ctx.newString(JSON.stringify(target.store.names())));
  define("readText", (nameHandle) => {
    const name = stringArg(ctx, nameHandle, "file name");
    const bytes = target.store.read(name);
    checkTransfer(target, name, bytes.byteLength);
    return ctx.newString(utf8.decode(bytes));
  });
  define("readBytes", (nameHandle) => {
    const name = stringArg(ctx, nameHandle, "file name");
    const bytes = target.store.read(name);
    checkTransfer(target, name, bytes.byteLength);
    // Copy into a standalone buffer: the store's bytes may be a view into a larger shared buffer.
    return ctx.newArrayBuffer(bytes.slice().buffer);
  });
  define("writeText", (nameHandle, textHandle) => {
    const name = stringArg(ctx, nameHandle, "file name");
    target.store.write(name, new Uint8Array(Buffer.from(stringArg(ctx, textHandle, "text"), "utf8")));
    return undefined;
  });
  define("writeBytes", (nameHandle, bytesHandle) => {
    const name = stringArg(ctx, nameHandle, "file name");
    target.store.write(name, bytesArg(ctx, bytesHandle));
    return undefined;
  });
}

function takeHelper(ctx: QuickJSContext, helpers: QuickJSHandle, name: keyof PreludeHelpers): QuickJSHandle {
  const handle = ctx.getProp(helpers, name);
  if (ctx.typeof(handle) !== "function") throw new Error(`sandbox prelude did not provide ${name}`);
  return handle;
}

/** Evaluates the prelude with a fresh bridge object; returns the helpers it exposes to the host. */
export function installPrelude(ctx: QuickJSContext, target: BridgeTarget): PreludeHelpers {
  const factory = ctx.unwrapResult(ctx.evalCode(GUEST_PRELUDE, "prelude.js", { type: "global", strict: true }));
  const host = ctx.newObject();
  try {
    defineHostFunctions(ctx, host, target);
    const helpers = ctx.unwrapResult(ctx.callFunction(factory, ctx.undefined, host));
    try {
      return {
        formatError: takeHelper(ctx, helpers, "formatError"),
        formatResult: takeHelper(ctx, helpers, "formatResult"),
        runTimer: takeHelper(ctx, helpers, "runTimer"),
        endCall: takeHelper(ctx, helpers, "endCall"),
      };
    } finally {
      helpers.dispose();
    }
  } finally {
    host.dispose();
    factory.dispose();
  }
}
