// The thread that checkpoints the SQLite write-ahead log (store/wal-checkpointer.ts), on a connection of its
// own to the same file. Plain JavaScript, the same in src/ and dist/: it needs nothing of ours.
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const Database = createRequire(import.meta.url)(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
for (const pragma of workerData.pragmas) db.pragma(pragma);
// Passive: copies what it can without waiting on the server's connection, which goes on writing meanwhile.
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
parentPort.postMessage({ type: "ready" });

// Stopped by terminate(): better-sqlite3 closes the connection as the thread's environment goes away.
parentPort.on("message", (message) => {
  if (message.type !== "checkpoint") return;
  // The log's size in pages is all the server needs: it decides when the log is too far behind.
  const { log } = checkpoint.get();
  parentPort.postMessage({ type: "checkpointed", log });
});
