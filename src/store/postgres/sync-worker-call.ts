import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

/**
 * Calls into a worker thread and blocks until it answers: the store is synchronous (it was built on
 * better-sqlite3, and its callers rely on a write and the events it emits happening in one step), while a
 * PostgreSQL client can only be asynchronous. The worker runs the async client; this thread waits on a shared
 * flag with Atomics.wait, which sleeps in the kernel instead of spinning (synckit, the library for this,
 * polls the port in a busy loop between waits, which takes a core from PostgreSQL itself on a small machine).
 *
 * Protocol: the caller clears the flag and posts a request; the worker posts exactly one reply on the same
 * port, then sets the flag and notifies. Replies are `{ result }` or `{ error: { message, code, … } }`.
 */
export class SyncWorkerCall {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private closed = false;

  constructor(workerUrl: URL, workerData: Record<string, unknown>, private readonly timeoutMs: number) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(workerUrl, { workerData: { ...workerData, flag: this.flag.buffer, port: port2 }, transferList: [port2] });
    // The process may exit while the connection is idle: only a pending call keeps it alive, and calls block.
    this.worker.unref();
  }

  call<T>(request: unknown): T {
    if (this.closed) throw new Error("The database connection is closed.");
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || Atomics.wait(this.flag, 0, 0, remaining) === "timed-out") {
        throw Object.assign(new Error(`The database did not answer within ${this.timeoutMs} ms.`), { code: "DATABASE_TIMEOUT" });
      }
      // The reply is posted before the flag is set, so it is there; the loop only guards a spurious wake-up.
      const reply = receiveMessageOnPort(this.port)?.message as { result?: T; error?: Record<string, unknown> } | undefined;
      if (reply === undefined) continue;
      if (reply.error) throw Object.assign(new Error(String(reply.error.message)), reply.error);
      return reply.result as T;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}
