import type { ContainerRecord } from "../api/containers.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class ContainersRepo extends DocumentTable<ContainerRecord> {
  constructor(db: Db) {
    super(db, "containers");
  }
}
