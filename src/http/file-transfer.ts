import type { Context } from "hono";
import { Readable } from "node:stream";
import type { FileObject } from "../api/wire.js";
import { ApiError, badRequest } from "../errors.js";
import { BlobIntegrityError } from "../files/blob-crypto.js";
import type { FileService } from "../files/file-service.js";
import { contentDisposition } from "../files/filename.js";
import { dataDirectoryFull, isDiskFull } from "./storage-errors.js";
import { UploadGate } from "./upload-gate.js";
import { receiveUpload, type ReceivedUpload } from "./upload.js";
import { log } from "../log.js";

/**
 * Files in and out over HTTP, for every route that takes an upload or sends a file's bytes (/v1/files, a
 * container's files): multipart bodies streamed to disk under MAX_UPLOAD_BYTES through one concurrency gate
 * (MAX_CONCURRENT_UPLOADS for the whole server), and downloads streamed with the file's length and name.
 */
export class FileTransfer {
  private readonly gate: UploadGate;

  constructor(
    private readonly files: FileService,
    private readonly uploads: { readonly maxUploadBytes: number; readonly maxConcurrentUploads: number },
  ) {
    this.gate = new UploadGate(uploads.maxConcurrentUploads);
  }

  /** Receives a multipart upload; `commit` turns it into a file (checking its fields), or throws and it is discarded. */
  async upload(c: Context, commit: (upload: ReceivedUpload) => Promise<FileObject>, fields = "a 'file' field"): Promise<FileObject> {
    const type = c.req.header("content-type") ?? "";
    if (!type.toLowerCase().startsWith("multipart/form-data")) {
      throw badRequest(`File uploads must be sent as multipart/form-data with ${fields}.`, null, "invalid_content_type");
    }
    const release = await this.gate.enter(c.req.raw.signal).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 429) c.header("retry-after", "1");
      throw err;
    });
    try {
      const upload = await receiveUpload(c.req.raw, this.files, this.uploads.maxUploadBytes);
      try {
        return await commit(upload);
      } catch (err) {
        if (upload.file !== null) await this.files.discard(upload.file);
        throw err;
      }
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      c.header("x-should-retry", "false");
      throw dataDirectoryFull();
    } finally {
      release();
    }
  }

  /** The file's bytes as the response, checked chunk by chunk when encrypted. */
  async download(c: Context, file: FileObject): Promise<Response> {
    const where = `${c.req.method} ${c.req.path}`;
    const stream = await this.files.contentStream(file.id).catch((err: unknown) => {
      if (err instanceof BlobIntegrityError) {
        log.error({ err }, `${where}: ${err.message}`);
        throw new ApiError(500, err.message, "server_error", null, "file_integrity_check_failed");
      }
      throw new ApiError(404, `The bytes of file '${file.id}' are missing from the data directory.`, "invalid_request_error");
    });
    // Damage past the first chunk ends the response early, short of its Content-Length, so no client takes it
    // for the whole file.
    stream.on("error", (err) => {
      if (err instanceof BlobIntegrityError) log.error({ err }, `${where}: ${err.message}`);
    });
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, {
      "content-type": "application/octet-stream",
      "content-length": String(file.bytes),
      "content-disposition": contentDisposition(file.filename),
      "x-content-type-options": "nosniff",
    });
  }
}
