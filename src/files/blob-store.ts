import fs from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { isOurId } from "../ids.js";
import { BlobOpener, BlobSealer, CHUNK_BYTES, TAG_BYTES } from "./blob-crypto.js";

/**
 * Uploaded bytes on disk under `<dataDir>/files/<file id>`. The path comes only from ids we minted,
 * never from the uploaded file name, so a name like `../../etc/passwd` cannot escape the folder.
 *
 * Bytes arrive as a stream into `<file id>.partial` (removed if anything fails; stale ones from a crash are
 * removed at boot), are flushed to disk, then renamed: a blob under a file id is always whole. With a files key
 * (encryption at rest) every blob is sealed in chunks (blob-crypto.ts) and checked as it is read.
 */
/** Where blobs live beside DATA_DIR when several nodes share them (s3-mirror.ts); DATA_DIR keeps a local copy. */
export interface BlobMirror {
  /** Stores a committed blob's bytes, as they are on disk. */
  upload(fileId: string, file: string): Promise<void>;
  /** Writes the blob's bytes to `file`; false when there is no such blob. */
  download(fileId: string, file: string): Promise<boolean>;
  delete(fileId: string): Promise<void>;
}

export class BlobStore {
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly filesKey: Buffer | null = null,
    private readonly mirror: BlobMirror | null = null,
  ) {
    this.dir = path.join(dataDir, "files");
  }

  get encrypted(): boolean {
    return this.filesKey !== null;
  }

  /** Creates the folder and removes `.partial` files an earlier process left behind (nothing can finish them). */
  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    for (const name of await fs.readdir(this.dir)) {
      if (name.endsWith(".partial")) await fs.rm(path.join(this.dir, name), { force: true });
    }
  }

  /**
   * Writes `source` to the file's `.partial` and flushes it; returns the number of (plaintext) bytes. On any
   * failure (the source's too: an upload cut off, a full disk) the partial file is removed and the error thrown.
   */
  async receive(fileId: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    const temp = this.partialOf(fileId);
    const handle = await fs.open(temp, "w", 0o600);
    let bytes = 0;
    try {
      const sealer = this.filesKey === null ? null : new BlobSealer(this.filesKey, fileId);
      if (sealer) await writeAll(handle, sealer.header);
      for await (const chunk of source) {
        bytes += chunk.byteLength;
        if (sealer === null) await writeAll(handle, chunk);
        else for (const sealed of sealer.push(chunk)) await writeAll(handle, sealed);
      }
      if (sealer) await writeAll(handle, sealer.end());
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    return bytes;
  }

  /** Puts a received file under its id. */
  async commit(fileId: string): Promise<void> {
    await fs.rename(this.partialOf(fileId), this.pathOf(fileId));
    if (!this.mirror) return;
    try {
      await this.mirror.upload(fileId, this.pathOf(fileId));
    } catch (err) {
      await fs.rm(this.pathOf(fileId), { force: true }); // not stored where every node reads: not stored
      throw err;
    }
  }

  /** Drops a received file that will not be committed. */
  async discard(fileId: string): Promise<void> {
    await fs.rm(this.partialOf(fileId), { force: true });
  }

  async write(fileId: string, bytes: Uint8Array): Promise<void> {
    await this.receive(fileId, [bytes]);
    await this.commit(fileId);
  }

  /** The whole file; a blob that fails its integrity check throws BlobIntegrityError. */
  async read(fileId: string): Promise<Buffer> {
    await this.fetched(fileId);
    const stored = await fs.readFile(this.pathOf(fileId));
    if (this.filesKey === null) return stored;
    const opener = new BlobOpener(this.filesKey, fileId);
    const parts = opener.push(stored);
    parts.push(opener.end());
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * The file as a stream (memory O(1) however large). Rejects (ENOENT) when the bytes are missing. An encrypted
   * blob is checked as it is read: one whose header or first chunk fails (another file's bytes, a changed start)
   * rejects with BlobIntegrityError before anything is handed out; damage further on errors the stream there.
   */
  async open(fileId: string): Promise<Readable> {
    await this.fetched(fileId);
    const handle = await fs.open(this.pathOf(fileId), "r");
    const raw = handle.createReadStream({ highWaterMark: CHUNK_BYTES + TAG_BYTES });
    if (this.filesKey === null) return raw;
    const opener = new BlobOpener(this.filesKey, fileId);
    const plain = new Transform({
      transform(chunk: Buffer, _enc, done) {
        try {
          for (const part of opener.push(chunk)) this.push(part);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
      flush(done) {
        try {
          this.push(opener.end());
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    });
    raw.on("error", (err) => plain.destroy(err));
    plain.on("close", () => raw.destroy());
    const out = raw.pipe(plain);
    await firstChunk(out);
    return out;
  }

  async remove(fileId: string): Promise<void> {
    await fs.rm(this.pathOf(fileId), { force: true });
    await this.mirror?.delete(fileId);
  }

  /** With a mirror, a blob another node uploaded is copied into DATA_DIR before its first read here. */
  private async fetched(fileId: string): Promise<void> {
    if (!this.mirror) return;
    const file = this.pathOf(fileId);
    try {
      await fs.access(file);
      return;
    } catch {
      // not here yet
    }
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
    try {
      if (await this.mirror.download(fileId, temp)) await fs.rename(temp, file);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private pathOf(fileId: string): string {
    if (!isOurId(fileId, "file-")) throw new Error(`not a file id: ${JSON.stringify(fileId)}`);
    return path.join(this.dir, fileId);
  }

  private partialOf(fileId: string): string {
    return `${this.pathOf(fileId)}.partial`;
  }
}

async function writeAll(handle: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Waits until `stream` has its first bytes buffered (or ended); rejects with its error if it fails first. */
function firstChunk(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off("readable", onReadable);
      stream.off("error", done);
      stream.off("end", onEnd);
      if (err) {
        stream.destroy();
        reject(err);
      } else resolve();
    };
    const onReadable = (): void => done();
    const onEnd = (): void => done();
    stream.once("readable", onReadable);
    stream.once("error", done);
    stream.once("end", onEnd);
  });
}
