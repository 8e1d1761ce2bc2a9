// A worker speaking SyncWorkerCall's protocol (src/store/postgres/sync-worker-call.ts): it answers each request
// with its `value` after `delayMs`, the way pg-worker.mjs answers a query.
import { workerData } from "node:worker_threads";

const { flag: flagBuffer, port } = workerData;
const flag = new Int32Array(flagBuffer);

port.on("message", async (request) => {
  await new Promise((resolve) => setTimeout(resolve, request.delayMs ?? 0));
  port.postMessage(request.fail ? { seq: request.seq, error: { message: "it failed", code: "42P01" } } : { seq: request.seq, result: request.value });
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
