/**
 * Grouped writes: the last batches of consecutive files of one store are written in one index write, each
 * file settled after it.
 *
 * Each index write costs a LanceDB commit (~4–8 ms, growing with the versions kept), and a store is optimized
 * every 32 writes (~50–90 ms): one write per small file made index writes ~80 % of ingesting 1,400 one-page
 * PDFs (bench/retrieval-quality.ts). The consecutive files of one store share their last write, within limits
 * that keep a file from waiting long for the files after it (a long PDF next does not hold it back: the
 * group is written GROUP_MAX_MS after its first file at the latest, while that PDF parses).
 */
import type { VectorStoreFile } from "../../api/wire.js";
import type { VectorStoreFilesRepo } from "../../store/vector-stores-repo.js";
import type { ChunkRow, VectorIndex } from "../vector-index.js";
import type { Job, JobMatch } from "./job-queue.js";
import { failed, type Outcome, type Settler } from "./settling.js";
import { log } from "../../log.js";

const GROUP_MAX_FILES = 32;
const GROUP_MAX_ROWS = 512;
export const GROUP_MAX_MS = 200;

/** A file whose chunks are all written but its last batch, which waits to be written with the group's. */
export interface HeldFile {
  member: VectorStoreFile;
  abort: AbortController;
  rows: ChunkRow[];
  vectors: number[][] | null;
  usageBytes: number;
}

/** Consecutive files of one store whose last batches are written in one index write. */
interface Group {
  storeId: string;
  files: HeldFile[];
  /** Writes the group GROUP_MAX_MS after its first file, whatever is being indexed then. */
  timer: NodeJS.Timeout;
}

export interface GroupWriterDeps {
  index: Pick<VectorIndex, "add" | "deleteFile">;
  storeFiles: Pick<VectorStoreFilesRepo, "get">;
  settler: Settler;
  /** Longest a file's last chunks wait for later files of its store. */
  maxMs: number;
}

export class GroupWriter {
  private group: Group | null = null;
  /** Groups taken for writing and not yet settled: stop() and enqueue() must still see their files. */
  private readonly writing = new Set<Group>();
  /** Group writes, one after another. */
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: GroupWriterDeps) {}

  /** Whether a group is being filled (it is written by `write()`, or by its timer). */
  get filling(): boolean {
    return this.group !== null;
  }

  /** Whether the group being filled is `storeId`'s. */
  fillingFor(storeId: string): boolean {
    return this.group?.storeId === storeId;
  }

  /** Whether `job`'s file must wait for the group to be written: it may join it only if of its store and it has room. */
  mustWriteBefore(job: Job): boolean {
    const group = this.group;
    if (!group) return false;
    const rows = group.files.reduce((n, f) => n + f.rows.length, 0);
    return !(job.storeId === group.storeId && group.files.length < GROUP_MAX_FILES && rows < GROUP_MAX_ROWS);
  }

  /** `fileId`'s held last batch, in the group being filled or one being written. */
  held(storeId: string, fileId: string): HeldFile | undefined {
    for (const group of this.groups()) {
      const held = group.storeId === storeId ? group.files.find((f) => f.member.id === fileId) : undefined;
      if (held) return held;
    }
    return undefined;
  }

  /** Adds a file's last batch to the group (starting one, with its timer, if none is being filled). */
  hold(file: HeldFile): void {
    if (!this.group) {
      const timer = setTimeout(() => void this.write(), this.deps.maxMs);
      timer.unref();
      this.group = { storeId: file.member.vector_store_id, files: [], timer };
    }
    this.group.files.push(file);
  }

  /** Takes the group (if any) and writes it after any group write still running; resolves when all are written. */
  write(): Promise<void> {
    const group = this.group;
    if (group && !this.closed) {
      this.group = null;
      clearTimeout(group.timer);
      this.writing.add(group);
      this.writes = this.writes
        .then(() => this.writeOne(group).finally(() => this.writing.delete(group)))
        .catch((err: unknown) => log.error({ err, vector_store_id: group.storeId }, `writing the chunks of ${group.files.length} files crashed`));
    }
    return this.writes;
  }

  /** Held files (in groups being written too) that match: their last batch is not written, or not completed. */
  stop(matches: JobMatch, reason: Error): void {
    for (const group of this.groups()) {
      for (const held of group.files) if (matches(group.storeId, held.member.id)) held.abort.abort(reason);
    }
  }

  /**
   * The group being filled is dropped: its files stay in_progress and are indexed again at the next start.
   * A group write already running is finished (see `written`).
   */
  close(): void {
    this.closed = true;
    if (this.group) clearTimeout(this.group.timer);
    this.group = null;
  }

  /** Resolves when the group writes taken so far are done. */
  written(): Promise<void> {
    return this.writes;
  }

  /** The group being filled and those being written. */
  private groups(): Group[] {
    return this.group ? [this.group, ...this.writing] : [...this.writing];
  }

  /** Writes the group's held batches in one index write, then settles its files. */
  private async writeOne(group: Group): Promise<void> {
    const { storeId } = group;
    // Files stopped, removed or cancelled while held: their last batch is not written (settling cleans up).
    const live = group.files.filter((f) => !f.abort.signal.aborted && this.deps.storeFiles.get(`${storeId}/${f.member.id}`)?.status === "in_progress");
    let error: unknown = null;
    try {
      // Even with no row left to write: the write completes the indexing of rows written partially before.
      if (live.length > 0) await this.deps.index.add(storeId, live.flatMap((f) => f.rows), joinVectors(live), { partial: false });
    } catch (err) {
      error = err;
      for (const f of live) await this.deps.index.deleteFile(storeId, f.member.id).catch(() => undefined);
    }
    const outcome = (f: HeldFile): Outcome =>
      error === null ? { status: "completed", last_error: null, usage_bytes: f.usageBytes } : failed(error, f.abort);
    await this.deps.settler.settleAll(storeId, group.files.map((f) => ({ member: f.member, abort: f.abort, outcome: outcome(f) })));
  }
}

/** The group's vectors in row order: all files of a store have vectors, or none has (rowless files aside). */
function joinVectors(files: HeldFile[]): number[][] | null {
  const withRows = files.filter((f) => f.rows.length > 0);
  if (withRows.every((f) => f.vectors === null)) return null;
  if (withRows.some((f) => f.vectors === null)) throw new Error("files of one vector store were embedded differently");
  return withRows.flatMap((f) => f.vectors!);
}
