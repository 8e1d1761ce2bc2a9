import type { Db } from "../sql.js";

/**
 * PostgreSQL's schema versions, applied in order (`schema_version` says how many ran). The first is the
 * SQLite schema as its migrations (../migrations.ts) leave it today; a change to the schema appends an entry
 * there and one here. Never edit a shipped entry.
 *
 * Differences from SQLite, each for a reason:
 * - `seq BIGSERIAL` for SQLite's AUTOINCREMENT rowid; `created_at` and sizes are BIGINT.
 * - `body` is TEXT, the wire object's JSON exactly as written: JSONB would reorder the keys the API answers
 *   with and refuse texts the API accepts (`\u0000`, a lone surrogate escape); nothing queries inside a body
 *   (lists filter on the columns beside it).
 * - At most one active run per thread is a partial unique index, so two nodes creating runs on one thread at
 *   once cannot both succeed (on SQLite the check and the insert happen in one process, in one step).
 */
const objectTable = (name: string, extraColumns = ""): string => `
  CREATE TABLE ${name} (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    project TEXT NOT NULL DEFAULT 'default',
    ${extraColumns}
    body TEXT NOT NULL
  );`;

export const PG_MIGRATIONS: readonly string[] = [
  `
  ${objectTable("assistants")}
  CREATE INDEX assistants_by_project ON assistants(project, seq);
  ${objectTable("threads")}
  CREATE INDEX threads_by_project ON threads(project, seq);
  ${objectTable("messages", "thread_id TEXT NOT NULL, run_id TEXT,")}
  CREATE INDEX messages_by_thread ON messages(project, thread_id, seq);
  ${objectTable("files", "purpose TEXT NOT NULL,")}
  CREATE INDEX files_by_project ON files(project, seq);
  CREATE INDEX files_by_purpose ON files(project, purpose, seq);
  ${objectTable("runs", "thread_id TEXT NOT NULL, status TEXT NOT NULL,")}
  CREATE INDEX runs_by_thread ON runs(project, thread_id, seq);
  CREATE INDEX runs_by_status ON runs(status);
  CREATE UNIQUE INDEX one_active_run_per_thread ON runs(thread_id) WHERE status IN ('queued', 'in_progress', 'requires_action', 'cancelling');
  ${objectTable("run_steps", "thread_id TEXT NOT NULL, run_id TEXT NOT NULL,")}
  CREATE INDEX run_steps_by_run ON run_steps(project, run_id, seq);
  CREATE TABLE run_options (run_id TEXT PRIMARY KEY, body TEXT NOT NULL);

  ${objectTable("vector_stores")}
  CREATE INDEX vector_stores_by_project ON vector_stores(project, seq);
  ${objectTable("vector_store_files", "vector_store_id TEXT NOT NULL, file_id TEXT NOT NULL, status TEXT NOT NULL, batch_id TEXT, usage_bytes BIGINT NOT NULL DEFAULT 0,")}
  CREATE INDEX vector_store_files_by_store ON vector_store_files(project, vector_store_id, seq);
  CREATE INDEX vector_store_files_by_file ON vector_store_files(file_id);
  CREATE INDEX vector_store_files_by_batch ON vector_store_files(batch_id);
  CREATE INDEX vector_store_files_by_store_status ON vector_store_files(project, vector_store_id, status, usage_bytes);
  -- Each node's ingestion sweep looks for files in progress (a dead node's): few rows, read every 2 s.
  CREATE INDEX vector_store_files_by_status ON vector_store_files(status);
  ${objectTable("vector_store_file_batches", "vector_store_id TEXT NOT NULL,")}
  CREATE INDEX vector_store_file_batches_by_project ON vector_store_file_batches(project, seq);
  CREATE TABLE vector_store_index (vector_store_id TEXT PRIMARY KEY, embedding_model TEXT, dims INTEGER);

  CREATE TABLE api_keys (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    admin INTEGER NOT NULL,
    source TEXT NOT NULL,
    redacted_value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
  );

  ${objectTable("responses", "status TEXT NOT NULL,")}
  CREATE INDEX responses_by_project ON responses(project, seq);
  CREATE INDEX responses_by_status ON responses(status);
  ${objectTable("response_items", "response_id TEXT NOT NULL,")}
  CREATE INDEX response_items_by_response ON response_items(project, response_id, seq);
  CREATE TABLE response_events (
    response_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    project TEXT NOT NULL DEFAULT 'default',
    body TEXT NOT NULL,
    PRIMARY KEY (response_id, sequence_number)
  );
  CREATE INDEX response_events_by_project ON response_events(project);
  ${objectTable("containers")}
  CREATE INDEX containers_by_project ON containers(project, seq);
  ${objectTable("conversations")}
  CREATE INDEX conversations_by_project ON conversations(project, seq);
  ${objectTable("conversation_items", "conversation_id TEXT NOT NULL,")}
  CREATE INDEX conversation_items_by_conversation ON conversation_items(project, conversation_id, seq);

  -- Which node executes a run or response (cluster/work-leases.ts); expires_at in the database's milliseconds.
  CREATE TABLE work_leases (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    node TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
  );
  CREATE INDEX work_leases_by_node ON work_leases(node);
  `,
  // As SQLite's: the request a queued background response is executed from (ROLE=api queues, a worker runs).
  `CREATE TABLE response_requests (response_id TEXT PRIMARY KEY, body TEXT NOT NULL);`,
];

/** How long a node waits at boot for another node's migration to finish. */
const MIGRATION_WAIT_MS = 300_000;

/** One advisory lock key per schema (two int4 keys: ours, then the schema's), held while migrating. */
const TRY_LOCK = "pg_try_advisory_lock(1281456470, hashtext(current_schema()))";
const UNLOCK = "pg_advisory_unlock(1281456470, hashtext(current_schema()))";

/**
 * Brings the schema up to date. Several nodes may boot at once: each takes the advisory lock first, so one
 * migrates while the others wait, then find nothing left to do.
 */
export function migratePostgres(db: Db): void {
  // Tried rather than waited for inside one statement, which the statement timeout would cut short.
  const tryLock = db.prepare(`SELECT ${TRY_LOCK}`).pluck();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + MIGRATION_WAIT_MS; tryLock.get() !== true; ) {
    if (Date.now() > deadline) throw new Error(`Another node has held the migration lock for ${MIGRATION_WAIT_MS / 1000} s: is it stuck migrating?`);
    Atomics.wait(pause, 0, 0, 100); // boot: nothing else to do meanwhile
  }
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    let current = db.prepare("SELECT version FROM schema_version").pluck().get() as number | undefined;
    if (current === undefined) {
      db.exec("INSERT INTO schema_version (version) VALUES (0)");
      current = 0;
    }
    for (let version = current; version < PG_MIGRATIONS.length; version++) {
      db.transaction(() => {
        db.exec(PG_MIGRATIONS[version]!);
        db.prepare("UPDATE schema_version SET version = ?").run(version + 1);
      })();
    }
  } finally {
    db.prepare(`SELECT ${UNLOCK}`).get();
  }
}
