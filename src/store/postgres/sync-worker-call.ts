import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

/**
 * Calls into a worker thread and blocks until it answers: the store is synchronous (it was built on
 * better-sqlite3, and its callers rely on a write and the events it emits happening in one step), while a
 * PostgreSQL client can only be asynchronous. The worker runs the async client; this thread waits on a shared
 * flag with Atomics.wait, which sleeps in the kernel instead of spinning (synckit, the library for this,
 * polls the port in a busy loop between waits, which takes a core from PostgreSQL itself on a small machine).
 *
 * Protocol: every request carries a sequence number; the worker answers each with exactly one reply carrying
 * it, posted before it adds one to a shared counter and notifies. The caller waits for the counter to move,
 * then reads the port: a reply to an earlier request (one that timed out here, whose query finished later) is
 * dropped, so a reply never answers the wrong call. Replies are `{ seq, result }` or `{ seq, error }`.
 */
export class SyncWorkerCall {
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private closed = false;
  private dead: Error | null = null;
  private seq = 0;

  constructor(workerUrl: URL, workerData: Record<string, unknown>, private readonly timeoutMs: number) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(workerUrl, { workerData: { ...workerData, flag: this.counter.buffer, port: port2 }, transferList: [port2] });
    // The process may exit while the connection is idle: only a pending call keeps it alive, and calls block.
    this.worker.unref();
    // A worker that died answers nothing: calls fail at once with why, instead of each waiting out its timeout.
    this.worker.on("error", (err) => (this.dead = err));
    this.worker.on("exit", (code) => (this.dead ??= new Error(`The database connection's worker thread exited (code ${code}).`)));
  }

  call<T>(request: Record<string, unknown>): T {
    if (this.closed) throw new Error("The database connection is closed.");
    if (this.dead) throw this.dead;
    const seq = ++this.seq;
    let seen = Atomics.load(this.counter, 0);
    this.port.postMessage({ ...request, seq });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      for (let reply = this.receive(); reply !== undefined; reply = this.receive()) {
        if (reply.seq !== seq) continue; // the late answer to a call that timed out
        if (reply.error) throw Object.assign(new Error(String(reply.error.message)), reply.error);
        return reply.result as T;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || Atomics.wait(this.counter, 0, seen, remaining) === "timed-out") {
        throw Object.assign(new Error(`The database did not answer within ${this.timeoutMs} ms.`), { code: "DATABASE_TIMEOUT" });
      }
      seen = Atomics.load(this.counter, 0);
    }
  }

  private receive(): { seq: number; result?: unknown; error?: Record<string, unknown> } | undefined {
    return receiveMessageOnPort(this.port)?.message as { seq: number; result?: unknown; error?: Record<string, unknown> } | undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}
