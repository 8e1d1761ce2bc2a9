/**
 * The stored JSON text of objects read lately, per table, so a GET of an unchanged object (a client polling a
 * run, an app re-reading its assistant) answers without a SQLite read: measured, that read was a third of a
 * `GET /v1/assistants/{id}` (its statement, and a read transaction's two file-lock syscalls).
 *
 * Safe because every write to an object table goes through its DocumentTable, which drops the object's entry
 * (or, for a write by filter, all of them) before writing, and keeps what it wrote only once that is committed;
 * reads inside a transaction are not kept, so a rolled-back write leaves nothing behind. An entry remembers the
 * project its row is known to be in (undefined: not known, read outside any scope): a read in another project
 * goes to the table (which hides the row from it); a read outside any scope sees every project's rows. Only
 * where this process is the store's only writer (SQLite): on PostgreSQL other nodes write too.
 */
export class BodyCache {
  private readonly entries = new Map<string, { project: string | undefined; body: string }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: string, project: string | undefined): string | undefined {
    const entry = this.entries.get(id);
    return entry !== undefined && (entry.project === project || project === undefined) ? entry.body : undefined;
  }

  /** The project the entry for `id` is known to be in (undefined: none is, or no entry). */
  projectOf(id: string): string | undefined {
    return this.entries.get(id)?.project;
  }

  /** Keeps a body read outside any transaction, or written by one that committed; the oldest entries go when the table's share is full. */
  keep(id: string, project: string | undefined, body: string): void {
    if (body.length > this.maxBytes / 16) return; // a few huge objects must not push out the many small ones
    this.drop(id);
    this.entries.set(id, { project, body });
    this.bytes += body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  drop(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.body.length;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
