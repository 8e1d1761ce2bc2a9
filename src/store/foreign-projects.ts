import { isPostgres, type Db } from "./db.js";

/**
 * Whether any object of a project other than `project` is stored, in any table with a `project` column (read
 * from the schema, so tables added later count too). The boot decision to keep projects apart rests on the
 * objects themselves, not on keys: a key removed from API_KEYS_FILE leaves its project's objects behind.
 */
export function hasObjectsOutside(db: Db, project: string): boolean {
  const tables = db
    .prepare(isPostgres(db)
      ? "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'project' AND table_name <> 'api_keys'"
      : "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'project' AND m.name <> 'api_keys'")
    .pluck()
    .all() as string[];
  // Table names come from the schema, never from a request. `<` or `>` rather than `<>`: SQLite searches the
  // project-led index for each range (two probes), where `<>` would scan it.
  return tables.some((t) => db.prepare(`SELECT 1 FROM "${t}" WHERE project < ? OR project > ? LIMIT 1`).get(project, project) !== undefined);
}
