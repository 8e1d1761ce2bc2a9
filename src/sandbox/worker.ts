/**
 * Worker-thread side of the pool: owns the QuickJS sessions routed to it and runs one call at a time.
 * The pool terminates this thread when a call overruns its hard deadline, so nothing here needs to be
 * cancellable: a native built-in that ignores interrupts is stopped by the terminate.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { GuestSession } from "./guest-session.js";
import { ModulePool } from "./module-pool.js";
import type { FromWorker, ToWorker, WorkerData } from "./protocol.js";
import type { SandboxResult } from "./types.js";

function requirePort(): MessagePort {
  if (!parentPort) throw new Error("sandbox worker must run in a worker thread");
  return parentPort;
}

const port = requirePort();
const settings = workerData as WorkerData;
// The id of a call the pool wants stopped (see WorkerSlot.cancelCell).
const cancelCell = new Int32Array(settings.cancel);
const modules = new ModulePool(settings.spareModules);
const sessions = new Map<string, GuestSession>();

async function openSession(sessionKey: string, memoryBytes: number): Promise<GuestSession> {
  const existing = sessions.get(sessionKey);
  if (existing) return existing;
  const session = await GuestSession.open(modules, memoryBytes, settings.maxFileBytes);
  sessions.set(sessionKey, session);
  // Instantiate the next session's module while this worker would otherwise be idle: after this call's result
  // is posted, not before (started here, its synchronous part ran ahead of the reply and doubled its latency).
  setImmediate(() => void modules.prewarm(memoryBytes).catch(() => undefined));
  return session;
}

/** A call's result, or null when the session lacks inputs sent without bytes (the pool resends them). */
async function run(msg: Extract<ToWorker, { type: "run" }>): Promise<SandboxResult | null> {
  let session: GuestSession;
  try {
    session = await openSession(msg.sessionKey, msg.limits.memoryBytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { logs: "", error: `sandbox could not start: ${message}`, files: [] };
  }
  if (!session.holds(msg.files)) return null;
  // The inputs are here (the message is deserialized): the pool times the call from this point.
  port.postMessage({ type: "started", id: msg.id } satisfies FromWorker);
  const { result, resetReason } = session.run(msg.code, msg.files, msg.limits, () => Atomics.load(cancelCell, 0) === msg.id, msg.skipped);
  if (resetReason !== null) {
    sessions.delete(msg.sessionKey);
    session.dispose(false);
  }
  return result;
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "dispose") {
    sessions.get(msg.sessionKey)?.dispose(true);
    sessions.delete(msg.sessionKey);
    return;
  }
  let result: SandboxResult | null;
  try {
    result = await run(msg);
    if (result === null) {
      port.postMessage({ type: "missing", id: msg.id } satisfies FromWorker);
      return;
    }
  } catch (error) {
    // A bug here must not wedge the queue: answer the call, drop its session.
    sessions.delete(msg.sessionKey);
    const message = error instanceof Error ? error.message : String(error);
    result = { logs: "", error: `sandbox internal error (${message}); the session was reset`, files: [] };
  }
  port.postMessage({ type: "result", id: msg.id, result } satisfies FromWorker);
}

// Messages are handled strictly in order: a dispose never overtakes the run queued before it.
let queue = Promise.resolve();
port.on("message", (msg: ToWorker) => {
  queue = queue.then(() => handle(msg));
});
await modules.prewarm(settings.defaultMemoryBytes).catch(() => undefined);
port.postMessage({ type: "ready" } satisfies FromWorker);
