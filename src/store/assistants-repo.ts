import type { Assistant } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class AssistantsRepo extends DocumentTable<Assistant> {
  constructor(db: Db) {
    super(db, "assistants");
  }

  protected override keepsWrites = true; // every run on an assistant reads it
}
