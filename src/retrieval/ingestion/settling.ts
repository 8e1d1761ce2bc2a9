/**
 * Settling: a file's outcome (completed, failed) recorded once its indexing is over, unless the file was
 * removed, cancelled or added again meanwhile; and the store's deferred index work finished when its last
 * file settles.
 */
import type { VectorStoreFile } from "../../api/wire.js";
import { ExtractionError } from "../../files/extract-text.js";
import { ModelError } from "../../llm/chat-model.js";
import type { VectorStoreFilesRepo } from "../../store/vector-stores-repo.js";
import type { VectorIndex } from "../vector-index.js";
import { log } from "../../log.js";
import type { MetricsSink } from "../../metrics.js";

export type Outcome = Pick<VectorStoreFile, "status" | "last_error" | "usage_bytes">;

export interface SettlingFile {
  member: VectorStoreFile;
  abort: AbortController;
  outcome: Outcome;
}

export interface SettlerDeps {
  storeFiles: Pick<VectorStoreFilesRepo, "get" | "update">;
  index: Pick<VectorIndex, "flush" | "deleteFile" | "drop">;
  storeExists(storeId: string): boolean;
  /** Whether another file of the store is still to come (queued, held or being indexed) besides `settling`. */
  hasMoreFor(storeId: string, settling: ReadonlySet<string>): boolean;
  /** Told after files of the store settled (a run's file_search waits for its stores' files on it). */
  onSettled?(storeId: string): void;
  /** Told for each file whose indexing is over, whatever became of its outcome. */
  onFileSettled?(storeId: string, fileId: string): void;
  /** Counts files by the status they settled in. */
  metrics?: Pick<MetricsSink, "ingestedFiles">;
}

export class Settler {
  constructor(private readonly deps: SettlerDeps) {}

  async settleAll(storeId: string, files: SettlingFile[]): Promise<void> {
    // The store's last files: finish the index's deferred work before reporting them, so that a store whose
    // files all completed ranks its new chunks like its old ones. (Another file of the store still to come
    // will do it: queued, held, or being indexed while a group's timer wrote this.)
    const settling = new Set(files.map((f) => f.member.id));
    if (!this.deps.hasMoreFor(storeId, settling)) await this.deps.index.flush(storeId).catch(() => undefined);
    for (const f of files) {
      // One file's bookkeeping failing must not leave the others of its group in progress.
      await this.settle(f.member, f.abort, f.outcome).catch((err: unknown) => log.error({ err, vector_store_id: f.member.vector_store_id, file_id: f.member.id }, "recording the outcome of a file failed"));
      this.deps.onFileSettled?.(storeId, f.member.id);
    }
    this.deps.onSettled?.(storeId);
  }

  /** Records a file's outcome, unless it was removed, cancelled or re-added meanwhile. */
  private async settle(member: VectorStoreFile, abort: AbortController, outcome: Outcome): Promise<void> {
    const { storeFiles } = this.deps;
    const storeId = member.vector_store_id;
    const current = storeFiles.get(`${storeId}/${member.id}`);
    if (!current || current.status === "cancelled") {
      await this.discard(storeId, member.id);
      return;
    }
    if (current.status !== "in_progress") return; // settled meanwhile by a later job for the same file
    // Stopped, then re-added; or re-added with another chunking strategy while indexing: the job the re-add
    // queued indexes it again.
    if (abort.signal.aborted || JSON.stringify(current.chunking_strategy) !== JSON.stringify(member.chunking_strategy)) return;
    storeFiles.update({ ...current, ...outcome });
    this.deps.metrics?.ingestedFiles.inc({ status: outcome.status });
  }

  /**
   * Removed or cancelled while indexing: its chunks must not stay searchable. If its whole store was deleted
   * meanwhile, our write may have re-created the store's table after the drop: drop it again.
   */
  private async discard(storeId: string, fileId: string): Promise<void> {
    const cleanup = this.deps.storeExists(storeId) ? this.deps.index.deleteFile(storeId, fileId) : this.deps.index.drop(storeId);
    await cleanup.catch(() => undefined);
  }
}

/** The failed outcome of a file; a stopped file's is discarded anyway (see settle). */
export function failed(err: unknown, abort: AbortController): Outcome {
  return { status: "failed", last_error: abort.signal.aborted ? null : describeFailure(err), usage_bytes: 0 };
}

function describeFailure(err: unknown): NonNullable<VectorStoreFile["last_error"]> {
  if (err instanceof ExtractionError) return { code: err.code, message: err.message };
  if (err instanceof ModelError) return { code: "server_error", message: `Could not embed the file: ${err.message}` };
  log.error({ err }, "ingestion failed"); // the operator's log keeps the whole error, locations included
  return { code: "server_error", message: `Indexing failed: ${withoutSourceLocations(err instanceof Error ? err.message : String(err))}` };
}

/**
 * LanceDB's errors name where in its Rust source they were raised (`…: expected 480, got 437,
 * /home/runner/work/lance/lance/rust/lance/src/io/local.rs:121:31`). That tells a user nothing and shows the
 * build machine's paths, so last_error keeps the message and drops each location.
 */
const RUST_SOURCE_LOCATION = /,?\s*(?:at\s+)?(?:[A-Za-z]:)?[^\s,()]*\.rs:\d+(?::\d+)?/g;

export function withoutSourceLocations(message: string): string {
  return message.replace(RUST_SOURCE_LOCATION, "").trim();
}
