import type { Thread } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class ThreadsRepo extends DocumentTable<Thread> {
  constructor(db: Db) {
    super(db, "threads");
  }

  protected override keepsWrites = true; // a run created on a thread reads it
}
