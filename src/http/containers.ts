import { Hono, type Context } from "hono";
import { ContainerCreateParams, ContainerFileCreateParams, type Container, type ContainerRecord } from "../api/containers.js";
import { ListQuery } from "../api/common.js";
import { badRequest, notFound } from "../errors.js";
import type { FileService } from "../files/file-service.js";
import type { ContainerService } from "../objects/container-service.js";
import { pageOfArray } from "../store/array-page.js";
import type { FileTransfer } from "./file-transfer.js";
import { listPage, listQuery } from "./list.js";
import { readJson } from "./validation.js";

export interface ContainersRouterDeps {
  containers: ContainerService;
  files: Pick<FileService, "commit" | "get">;
  transfer: FileTransfer;
}

/**
 * Mounted at /v1/containers: the code interpreter's containers (a sandbox session plus its files), as the
 * Responses API's code_interpreter uses them. A container file's id is its uploaded file's id.
 */
export function containersRouter(s: ContainersRouterDeps): Hono {
  const app = new Hono();
  const find = (id: string): ContainerRecord => s.containers.get(id) ?? throwNotFound("container", id);

  app.post("/", async (c) => {
    const p = await readJson(c, ContainerCreateParams);
    return c.json(wire(s.containers.create(p, "file_ids")));
  });
  app.get("/", (c) => {
    const q = listQuery(c, ListQuery);
    const page = s.containers.page(q);
    return c.json(listPage(page && { ...page, data: page.data.map(wire) }, q));
  });
  app.get("/:container_id", (c) => c.json(wire(find(c.req.param("container_id")))));
  app.delete("/:container_id", (c) => {
    const id = c.req.param("container_id");
    if (!s.containers.delete(id)) throwNotFound("container", id);
    return c.json({ id, object: "container.deleted", deleted: true });
  });

  // A file in: an upload (multipart `file`) or an uploaded file's id (JSON `file_id`). The container must be running.
  app.post("/:container_id/files", async (c) => {
    const id = c.req.param("container_id");
    find(id);
    s.containers.use(id, "container_id"); // before an upload: an expired container must not leave a file behind
    const fileId = isMultipart(c)
      ? (await s.transfer.upload(c, async (upload) => {
          if (!upload.file) throw badRequest("Missing required parameter: 'file'.", "file", "missing_required_parameter");
          return s.files.commit(upload.file, upload.file.name, "user_data");
        })).id
      : (await readJson(c, ContainerFileCreateParams)).file_id;
    const container = s.containers.addFiles(id, [fileId], "file_id");
    return c.json(s.containers.files(container).find((f) => f.id === fileId));
  });
  app.get("/:container_id/files", (c) => {
    const q = listQuery(c, ListQuery);
    return c.json(listPage(pageOfArray(s.containers.files(find(c.req.param("container_id"))), q), q));
  });
  app.get("/:container_id/files/:file_id", (c) => c.json(fileOf(c)));
  app.delete("/:container_id/files/:file_id", (c) => {
    const file = fileOf(c);
    s.containers.removeFile(file.container_id, file.id);
    return c.json({ id: file.id, object: "container.file.deleted", deleted: true });
  });
  app.get("/:container_id/files/:file_id/content", async (c) => {
    const file = fileOf(c);
    const stored = s.files.get(file.id) ?? throwNotFound("container file", file.id);
    return s.transfer.download(c, stored);
  });

  function fileOf(c: Context) {
    const container = find(c.req.param("container_id")!);
    const fileId = c.req.param("file_id")!;
    return s.containers.files(container).find((f) => f.id === fileId) ?? throwNotFound("container file", fileId);
  }

  return app;
}

/** The container as the API shows it (its file list is under /files). */
function wire(record: ContainerRecord): Container {
  const { file_ids: _files, ...container } = record;
  return container;
}

function isMultipart(c: Context): boolean {
  return (c.req.header("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
}

function throwNotFound(kind: "container" | "container file", id: string): never {
  throw notFound(kind, id);
}
