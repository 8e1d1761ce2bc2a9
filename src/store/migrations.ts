/**
 * Schema versions, applied in order (PRAGMA user_version counts how many ran). Never edit a shipped entry:
 * append a new one.
 *
 * Every object table stores the wire object as JSON in `body`, beside the columns we filter on. `seq` gives a
 * stable order when `created_at` seconds tie, and is what list cursors compare.
 */
const objectTable = (name: string, extraColumns = ""): string => `
  CREATE TABLE ${name} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    ${extraColumns}
    body TEXT NOT NULL
  );`;

/**
 * A table for a new kind of object (responses, conversations, …): like the others since the projects migration,
 * with the `project` column DocumentTable filters on. Index its list columns behind `project`.
 */
export const projectTable = (name: string, extraColumns = ""): string =>
  objectTable(name, `project TEXT NOT NULL DEFAULT 'default',\n    ${extraColumns}`);

export const MIGRATIONS: readonly string[] = [
  `
  ${objectTable("assistants")}
  ${objectTable("threads")}
  ${objectTable("messages", "thread_id TEXT NOT NULL, run_id TEXT,")}
  CREATE INDEX messages_by_thread ON messages(thread_id, seq);
  ${objectTable("files", "purpose TEXT NOT NULL,")}
  CREATE INDEX files_by_purpose ON files(purpose, seq);
  ${objectTable("runs", "thread_id TEXT NOT NULL, status TEXT NOT NULL,")}
  CREATE INDEX runs_by_thread ON runs(thread_id, seq);
  CREATE INDEX runs_by_status ON runs(status);
  ${objectTable("run_steps", "thread_id TEXT NOT NULL, run_id TEXT NOT NULL,")}
  CREATE INDEX run_steps_by_run ON run_steps(run_id, seq);
  `,
  // Per-run settings that are not part of the wire object (additional_instructions is kept apart from
  // instructions so the prompt prefix stays stable across turns).
  `CREATE TABLE run_options (run_id TEXT PRIMARY KEY, body TEXT NOT NULL);`,
  // Vector stores. A file can sit in several stores, so vector_store_files rows are keyed "<store>/<file>".
  // vector_store_index records how a store's index was built (embedding model and dimension, or BM25 only).
  `
  ${objectTable("vector_stores")}
  ${objectTable("vector_store_files", "vector_store_id TEXT NOT NULL, file_id TEXT NOT NULL, status TEXT NOT NULL, batch_id TEXT,")}
  CREATE INDEX vector_store_files_by_store ON vector_store_files(vector_store_id, seq);
  CREATE INDEX vector_store_files_by_file ON vector_store_files(file_id);
  CREATE INDEX vector_store_files_by_batch ON vector_store_files(batch_id);
  ${objectTable("vector_store_file_batches", "vector_store_id TEXT NOT NULL,")}
  CREATE TABLE vector_store_index (
    vector_store_id TEXT PRIMARY KEY,
    embedding_model TEXT,
    dims INTEGER
  );
  `,
  // A store's usage_bytes is the sum over its completed files: a column (filled from existing bodies) makes it
  // one indexed SUM instead of parsing every file's JSON on each store read.
  `
  ALTER TABLE vector_store_files ADD COLUMN usage_bytes INTEGER NOT NULL DEFAULT 0;
  UPDATE vector_store_files SET usage_bytes = COALESCE(json_extract(body, '$.usage_bytes'), 0);
  CREATE INDEX vector_store_files_by_store_status ON vector_store_files(vector_store_id, status, usage_bytes);
  `,
  // Projects: every object belongs to the project of the key that created it (document-table.ts filters by it).
  // Rows from before keys had projects are the default project's (API_KEY's, or no key's). Lists walk
  // (project, parent, seq); a store's counts stay one covering index read.
  `
  ${["assistants", "threads", "messages", "files", "runs", "run_steps", "vector_stores", "vector_store_files", "vector_store_file_batches"]
    .map((t) => `ALTER TABLE ${t} ADD COLUMN project TEXT NOT NULL DEFAULT 'default';`).join("\n  ")}
  CREATE INDEX assistants_by_project ON assistants(project, seq);
  CREATE INDEX vector_stores_by_project ON vector_stores(project, seq);
  CREATE INDEX files_by_project ON files(project, seq);
  DROP INDEX files_by_purpose;
  CREATE INDEX files_by_purpose ON files(project, purpose, seq);
  DROP INDEX messages_by_thread;
  CREATE INDEX messages_by_thread ON messages(project, thread_id, seq);
  DROP INDEX runs_by_thread;
  CREATE INDEX runs_by_thread ON runs(project, thread_id, seq);
  DROP INDEX run_steps_by_run;
  CREATE INDEX run_steps_by_run ON run_steps(project, run_id, seq);
  DROP INDEX vector_store_files_by_store;
  CREATE INDEX vector_store_files_by_store ON vector_store_files(project, vector_store_id, seq);
  DROP INDEX vector_store_files_by_store_status;
  CREATE INDEX vector_store_files_by_store_status ON vector_store_files(project, vector_store_id, status, usage_bytes);
  `,
  // API keys created over HTTP and those of API_KEYS_FILE (source 'file', synced at boot): never the key, only
  // its SHA-256. A revoked key keeps its row (revoked_at), so a file key revoked over HTTP stays revoked.
  `
  CREATE TABLE api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    project TEXT NOT NULL,
    admin INTEGER NOT NULL,
    source TEXT NOT NULL,
    redacted_value TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  `,
  // Every object table leads an index with project, so "is anything outside the default project?" at boot is
  // two index probes per table (store/foreign-projects.ts), never a scan.
  `
  CREATE INDEX threads_by_project ON threads(project, seq);
  CREATE INDEX vector_store_file_batches_by_project ON vector_store_file_batches(project, seq);
  `,
  // The Responses API: stored responses (the wire object), and each response's input items in order (a row key
  // "<response>/<item>", since an item given back as input appears in several responses).
  `
  ${projectTable("responses", "status TEXT NOT NULL,")}
  CREATE INDEX responses_by_project ON responses(project, seq);
  ${projectTable("response_items", "response_id TEXT NOT NULL,")}
  CREATE INDEX response_items_by_response ON response_items(project, response_id, seq);
  `,
  // Background responses' events, so a stream can be resumed (`starting_after`) after a disconnect or restart.
  // Indexed by project too, for the boot probe of store/foreign-projects.ts.
  `
  CREATE TABLE response_events (
    response_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    project TEXT NOT NULL DEFAULT 'default',
    body TEXT NOT NULL,
    PRIMARY KEY (response_id, sequence_number)
  ) WITHOUT ROWID;
  CREATE INDEX response_events_by_project ON response_events(project);
  `,
  // Containers: where code_interpreter runs for responses (a sandbox session, and the files its code reads).
  `
  ${projectTable("containers")}
  CREATE INDEX containers_by_project ON containers(project, seq);
  `,
  // Conversations (Responses API): the object, and its items in order (row key "<conversation>/<item>").
  `
  ${projectTable("conversations")}
  CREATE INDEX conversations_by_project ON conversations(project, seq);
  ${projectTable("conversation_items", "conversation_id TEXT NOT NULL,")}
  CREATE INDEX conversation_items_by_conversation ON conversation_items(project, conversation_id, seq);
  `,
  // A background response queued by an api node (ROLE=api) for a worker: the request it is executed from,
  // kept until it ends (not part of the wire object, as run_options is not).
  `CREATE TABLE response_requests (response_id TEXT PRIMARY KEY, body TEXT NOT NULL);`,
];
