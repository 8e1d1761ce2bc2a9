import { Hono } from "hono";
import { z } from "zod";
import type { FileObject } from "../api/wire.js";
import { notFound } from "../errors.js";
import type { FileService } from "../files/file-service.js";
import type { FilesRepo } from "../store/files-repo.js";
import type { FileTransfer } from "./file-transfer.js";
import { listPage, listQuery } from "./list.js";
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
  /** Uploads and downloads (MAX_UPLOAD_BYTES, MAX_CONCURRENT_UPLOADS), shared with containers' files. */
  transfer: FileTransfer;
}

/** Mounted at /v1/files. */
export function filesRouter({ files, fileRows, transfer }: FilesRouterDeps): Hono {
  const app = new Hono();
  const find = (id: string): FileObject => {
    const file = files.get(id);
    if (!file) throw notFound("file", id);
    return file;
  };

  app.post("/", async (c) =>
    c.json(
      await transfer.upload(c, async (upload) => {
        const { purpose } = parseWith(UploadFields, { purpose: upload.fields.get("purpose"), file: upload.file !== null || undefined });
        return files.commit(upload.file!, upload.file!.name, purpose);
      }, "'file' and 'purpose' fields"),
    ),
  );

  app.get("/", (c) => {
    const q = listQuery(c, FileListQuery);
    return c.json(listPage(fileRows.page(q.purpose ? { purpose: q.purpose } : {}, q), q));
  });

  app.get("/:file_id", (c) => c.json(find(c.req.param("file_id"))));

  app.get("/:file_id/content", async (c) => transfer.download(c, find(c.req.param("file_id"))));

  app.delete("/:file_id", async (c) => {
    const id = c.req.param("file_id");
    if (!(await files.delete(id))) throw notFound("file", id);
    return c.json({ id, object: "file", deleted: true });
  });

  return app;
}
