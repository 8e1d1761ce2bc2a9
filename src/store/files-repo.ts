import type { FileObject } from "../api/wire.js";
import type { Db } from "./db.js";
import { DocumentTable } from "./document-table.js";

export class FilesRepo extends DocumentTable<FileObject> {
  constructor(db: Db) {
    super(db, "files", [{ name: "purpose", of: (f) => f.purpose }]);
  }
}
