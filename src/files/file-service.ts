import type { Clock } from "../clock.js";
import type { FileObject, FilePurpose } from "../api/wire.js";
import { newId } from "../ids.js";
import type { FilesRepo } from "../store/files-repo.js";
import { BlobStore, safeFilename } from "./blob-store.js";

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
    const file: FileObject = {
      id: newId("file-"),
      object: "file",
      bytes: bytes.byteLength,
      created_at: this.clock(),
      filename: safeFilename(filename),
      purpose,
      status: "processed",
    };
    await this.blobs.write(file.id, bytes);
    return this.repo.insert(file);
  }

  get(fileId: string): FileObject | null {
    return this.repo.get(fileId);
  }

  async content(fileId: string): Promise<Buffer> {
    return this.blobs.read(fileId);
  }

  /** Removes the row first (the file stops existing for clients), then chunks everywhere, then the bytes. */
  async delete(fileId: string): Promise<boolean> {
    if (!this.repo.delete(fileId)) return false;
    for (const listener of this.deletedListeners) await listener(fileId);
    await this.blobs.remove(fileId);
    return true;
  }
}
