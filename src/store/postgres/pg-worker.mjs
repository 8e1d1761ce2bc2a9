// The PostgreSQL connection of one PgDb (pg-db.ts), in a worker thread so that the store can call it
// synchronously (sync-worker-call.ts says why). Plain JavaScript, like the PDF worker: it runs unchanged under
// tsx (npm run dev, tests) and from dist/ (npm start).
import { workerData } from "node:worker_threads";
import pg from "pg";

const { url, schema, statementTimeoutMs, flag: flagBuffer, port } = workerData;
const flag = new Int32Array(flagBuffer);

// BIGINT columns (seq, created_at, counts) are ids and seconds far below 2^53: numbers, as SQLite gives them.
const types = { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) };

/** The live client, connected on first use and again after the connection was lost. */
let client = null;
/** Statement names by SQL text: each distinct statement is parsed and planned once per connection. */
let names = new Map();
/**
 * Inside BEGIN … COMMIT/ROLLBACK. A connection lost meanwhile took the transaction with it (PostgreSQL rolled
 * it back): until the caller's ROLLBACK arrives every statement fails, rather than running on a new
 * connection outside any transaction (which would commit half of it).
 */
let inTransaction = false;
let transactionLost = false;

async function connection() {
  if (client) return client;
  const next = new pg.Client({ connectionString: url, types, application_name: "local-assistants" });
  // A lost connection is reported here as well as to the query in flight; the next call opens a new one.
  next.on("error", () => {
    if (client !== next) return;
    client = null;
    if (inTransaction) transactionLost = true;
  });
  await next.connect();
  // A statement the caller stopped waiting for (SyncWorkerCall's timeout) must not run on, holding locks.
  if (statementTimeoutMs) await next.query(`SET statement_timeout = ${Number(statementTimeoutMs)}`);
  if (schema) {
    const quoted = `"${schema.replaceAll('"', '""')}"`;
    try {
      await next.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    } catch (err) {
      // Two nodes creating it at once: one wins, the other sees a unique violation; either way it exists.
      if (err.code !== "23505" && err.code !== "42P06") throw err;
    }
    await next.query(`SET search_path TO ${quoted}`);
  }
  client = next;
  names = new Map();
  return client;
}

async function handle(request) {
  if (request.op === "end") {
    const ending = client;
    client = null;
    await ending?.end();
    return null;
  }
  if (transactionLost) {
    if (request.op === "exec" && request.text === "ROLLBACK") {
      transactionLost = false;
      inTransaction = false;
      return null; // nothing left to roll back: the server did
    }
    throw new Error("The connection to the database was lost during this transaction, which was rolled back.");
  }
  const db = await connection();
  if (request.op === "exec") {
    if (request.text === "BEGIN") inTransaction = true;
    else if (request.text === "COMMIT" || request.text === "ROLLBACK") inTransaction = false;
    await db.query(request.text); // simple protocol: several statements, no parameters
    return null;
  }
  let name = names.get(request.text);
  if (name === undefined) {
    name = `s${names.size + 1}`;
    names.set(request.text, name);
  }
  const result = await db.query({ name, text: request.text, values: request.values, rowMode: "array" });
  return { rows: result.rows, fields: result.fields.map((f) => f.name), rowCount: result.rowCount ?? 0 };
}

// One request at a time, in order (the caller blocks on each); the reply names the request it answers.
port.on("message", async (request) => {
  let reply;
  try {
    reply = { seq: request.seq, result: await handle(request) };
  } catch (err) {
    // PostgreSQL's SQLSTATE stays in `code` (23505 unique violation, 53100 disk full, …).
    reply = { seq: request.seq, error: { message: err?.message ?? String(err), code: err?.code ?? null, constraint: err?.constraint ?? null } };
  }
  port.postMessage(reply);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
