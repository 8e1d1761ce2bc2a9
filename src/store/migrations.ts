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
];
