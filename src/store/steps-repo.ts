import type { RunStep } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class StepsRepo extends DocumentTable<RunStep> {
  constructor(db: Db) {
    super(db, "run_steps", [
      { name: "thread_id", of: (s) => s.thread_id, fixed: true },
      { name: "run_id", of: (s) => s.run_id, fixed: true },
    ]);
  }
}
