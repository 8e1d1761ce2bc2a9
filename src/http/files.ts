import { Hono } from "hono";
import { Readable } from "node:stream";
import { z } from "zod";
import type { FileObject } from "../api/wire.js";
import { ApiError, badRequest, notFound } from "../errors.js";
import { BlobIntegrityError } from "../files/blob-crypto.js";
import type { FileService } from "../files/file-service.js";
import { contentDisposition } from "../files/filename.js";
import type { FilesRepo } from "../store/files-repo.js";
import { listPage, listQuery } from "./list.js";
import { dataDirectoryFull, isDiskFull } from "./storage-errors.js";
import { UploadGate } from "./upload-gate.js";
import { receiveUpload } from "./upload.js";
import { parseWith } from "./validation.js";

const FileListQuery = z.object({
  purpose: z.string().optional(),
  // The files API pages differently from the rest: up to 10,000 per page, all by default.
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(["asc", "desc"]).default("desc"),
  after: z.string().min(1).optional(),
  before: z.string().min(1).optional(),
});

/** Purposes a client may upload with; the *_output/-results ones are written by the server only. */
const UPLOAD_PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;

const UploadFields = z.object({
  purpose: z.enum(UPLOAD_PURPOSES, { message: `purpose must be one of ${UPLOAD_PURPOSES.join(", ")}` }),
  file: z.literal(true, { message: "expected a file upload" }),
});

export interface FilesRouterDeps {
  files: FileService;
  /** Listing reads the table directly: a file row is the wire object. */
  fileRows: Pick<FilesRepo, "page">;
  /** MAX_UPLOAD_BYTES (the whole request body) and MAX_CONCURRENT_UPLOADS. */
  uploads: { readonly maxUploadBytes: number; readonly maxConcurrentUploads: number };
}

/** Mounted at /v1/files. */
export function filesRouter({ files, fileRows, uploads }: FilesRouterDeps): Hono {
  const app = new Hono();
  const gate = new UploadGate(uploads.maxConcurrentUploads);
  const find = (id: string): FileObject => {
    const file = files.get(id);
    if (!file) throw notFound("file", id);
    return file;
  };

  app.post("/", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!type.toLowerCase().startsWith("multipart/form-data")) {
      throw badRequest("File uploads must be sent as multipart/form-data with 'file' and 'purpose' fields.", null, "invalid_content_type");
    }
    // The body streams to disk (upload.ts); MAX_UPLOAD_BYTES is enforced there, not by the app's body limit.
    const release = await gate.enter(c.req.raw.signal).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 429) c.header("retry-after", "1");
      throw err;
    });
    try {
      const upload = await receiveUpload(c.req.raw, files, uploads.maxUploadBytes);
      try {
        const { purpose } = parseWith(UploadFields, { purpose: upload.fields.get("purpose"), file: upload.file !== null || undefined });
        return c.json(await files.commit(upload.file!, upload.file!.name, purpose));
      } catch (err) {
        if (upload.file !== null) await files.discard(upload.file);
        throw err;
      }
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      c.header("x-should-retry", "false");
      throw dataDirectoryFull();
    } finally {
      release();
    }
  });

  app.get("/", (c) => {
    const q = listQuery(c, FileListQuery);
    return c.json(listPage(fileRows.page(q.purpose ? { purpose: q.purpose } : {}, q), q));
  });

  app.get("/:file_id", (c) => c.json(find(c.req.param("file_id"))));

  app.get("/:file_id/content", async (c) => {
    const file = find(c.req.param("file_id"));
    const stream = await files.contentStream(file.id).catch((err: unknown) => {
      if (err instanceof BlobIntegrityError) {
        console.error(`GET /v1/files/${file.id}/content: ${err.message}`);
        throw new ApiError(500, err.message, "server_error", null, "file_integrity_check_failed");
      }
      throw new ApiError(404, `The bytes of file '${file.id}' are missing from the data directory.`, "invalid_request_error");
    });
    // An encrypted blob is checked chunk by chunk as it goes out: damage past the first chunk ends the response
    // early, short of its Content-Length, so no client takes it for the whole file.
    stream.on("error", (err) => {
      if (err instanceof BlobIntegrityError) console.error(`GET /v1/files/${file.id}/content: ${err.message}`);
    });
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, {
      "content-type": "application/octet-stream",
      "content-length": String(file.bytes),
      "content-disposition": contentDisposition(file.filename),
      "x-content-type-options": "nosniff",
    });
  });

  app.delete("/:file_id", async (c) => {
    const id = c.req.param("file_id");
    if (!(await files.delete(id))) throw notFound("file", id);
    return c.json({ id, object: "file", deleted: true });
  });

  return app;
}
