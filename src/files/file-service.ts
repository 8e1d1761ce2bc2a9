import type { Clock } from "../clock.js";
import type { FileObject, FilePurpose } from "../api/wire.js";
import { newId } from "../ids.js";
import type { FilesRepo } from "../store/files-repo.js";
import type { Readable } from "node:stream";
import type { BlobStore } from "./blob-store.js";
import { safeFilename } from "./filename.js";

/** Bytes of an upload on disk under a new id, not yet a file. */
export interface ReceivedFile {
  readonly id: string;
  readonly bytes: number;
}

/** Listener told when a file is deleted, so indexes holding its chunks can drop them. */
export type FileDeletedListener = (fileId: string) => Promise<void> | void;

/** Files: bytes in the blob store, the object in SQLite. Bytes are written before the row, so an acknowledged file always has its bytes. */
export class FileService {
  private readonly deletedListeners: FileDeletedListener[] = [];

  constructor(
    private readonly repo: FilesRepo,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {}

  onDeleted(listener: FileDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  async create(bytes: Uint8Array, filename: string, purpose: FilePurpose): Promise<FileObject> {
    const received = await this.receive([bytes]);
    return this.commit(received, filename, purpose);
  }

  /**
   * Streams an upload's bytes to disk under a new file id (not yet a file: `commit` makes it one, `discard`
   * drops it). The caller may learn the name and purpose only after the bytes (multipart order is the client's).
   */
  async receive(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<ReceivedFile> {
    const id = newId("file-");
    const bytes = await this.blobs.receive(id, source);
    return { id, bytes };
  }

  async commit(received: ReceivedFile, filename: string, purpose: FilePurpose): Promise<FileObject> {
    const file: FileObject = {
      id: received.id,
      object: "file",
      bytes: received.bytes,
      created_at: this.clock(),
      filename: safeFilename(filename),
      purpose,
      status: "processed",
    };
    await this.blobs.commit(file.id);
    try {
      return this.repo.insert(file);
    } catch (err) {
      await this.blobs.remove(file.id); // no row: its bytes would be an orphan
      throw err;
    }
  }

  async discard(received: ReceivedFile): Promise<void> {
    await this.blobs.discard(received.id);
  }

  get(fileId: string): FileObject | null {
    return this.repo.get(fileId);
  }

  async content(fileId: string): Promise<Buffer> {
    return this.blobs.read(fileId);
  }

  /** The bytes as a stream, for downloads of any size. Rejects (ENOENT) when they are missing. */
  async contentStream(fileId: string): Promise<Readable> {
    return this.blobs.open(fileId);
  }

  /**
   * Removes the bytes first, so that deleting works on a full disk (the database's own delete needs room in its
   * log; the freed blob gives it that), then the row (the file stops existing for clients), then its chunks
   * everywhere. A crash in between leaves a file whose content is missing (404), which a retried delete removes.
   */
  async delete(fileId: string): Promise<boolean> {
    if (this.repo.get(fileId) === null) return false;
    await this.blobs.remove(fileId);
    if (!this.repo.delete(fileId)) return false;
    for (const listener of this.deletedListeners) await listener(fileId);
    return true;
  }
}
