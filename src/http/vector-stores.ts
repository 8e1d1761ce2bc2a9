import { Hono, type Context } from "hono";
import { ListQuery } from "../api/common.js";
import {
  FileBatchCreateParams,
  VectorStoreCreateParams,
  VectorStoreFileCreateParams,
  VectorStoreFileListQuery,
  VectorStoreFileUpdateParams,
  VectorStoreSearchParams,
  VectorStoreUpdateParams,
} from "../api/vector-stores.js";
import type { FileSearchService } from "../retrieval/file-search.js";
import type { VectorStoreService } from "../retrieval/vector-store-service.js";
import type { VectorStoreFile } from "../api/wire.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { VectorStoreFilesRepo, VectorStoresRepo } from "../store/vector-stores-repo.js";
import { listPage, listQuery } from "./list.js";
import { readJson } from "./validation.js";

export interface VectorStoresRouterDeps {
  vectorStores: VectorStoreService;
  search: Pick<FileSearchService, "searchEndpoint">;
  /** Lists read the tables directly (stores are then presented by the service). */
  storeRows: Pick<VectorStoresRepo, "page">;
  storeFiles: Pick<VectorStoreFilesRepo, "pageInStore">;
}

/** Mounted at /v1/vector_stores. */
export function vectorStoresRouter({ vectorStores: vs, search, storeRows, storeFiles }: VectorStoresRouterDeps): Hono {
  const app = new Hono();
  const storeId = (c: Context): string => c.req.param("vector_store_id") ?? "";
  const filesPage = (page: Page<VectorStoreFile> | null, q: PageQuery) => listPage(page && { ...page, data: page.data.map((f) => vs.presentFile(f)) }, q);

  app.post("/", async (c) => c.json(vs.create(await readJson(c, VectorStoreCreateParams))));
  app.get("/", (c) => {
    const q = listQuery(c, ListQuery);
    const page = listPage(storeRows.page({}, q), q);
    return c.json({ ...page, data: page.data.map((store) => vs.present(store)) });
  });
  app.get("/:vector_store_id", (c) => c.json(vs.find(storeId(c))));
  app.post("/:vector_store_id", async (c) => {
    const id = storeId(c);
    vs.find(id);
    return c.json(vs.update(id, await readJson(c, VectorStoreUpdateParams)));
  });
  app.delete("/:vector_store_id", async (c) => {
    await vs.delete(storeId(c));
    return c.json({ id: storeId(c), object: "vector_store.deleted", deleted: true });
  });

  app.post("/:vector_store_id/search", async (c) => {
    const id = storeId(c);
    vs.find(id);
    const p = await readJson(c, VectorStoreSearchParams);
    return c.json(await search.searchEndpoint(id, p));
  });

  app.post("/:vector_store_id/files", async (c) => c.json(vs.addFile(storeId(c), await readJson(c, VectorStoreFileCreateParams))));
  app.get("/:vector_store_id/files", (c) => {
    const id = storeId(c);
    vs.find(id);
    const q = listQuery(c, VectorStoreFileListQuery);
    return c.json(filesPage(storeFiles.pageInStore(id, q.filter ? { status: q.filter } : {}, q), q));
  });
  app.get("/:vector_store_id/files/:file_id", (c) => c.json(vs.findFile(storeId(c), c.req.param("file_id"))));
  app.post("/:vector_store_id/files/:file_id", async (c) => {
    const p = await readJson(c, VectorStoreFileUpdateParams);
    return c.json(vs.updateFileAttributes(storeId(c), c.req.param("file_id"), p.attributes));
  });
  app.delete("/:vector_store_id/files/:file_id", async (c) => {
    const fileId = c.req.param("file_id");
    await vs.removeFile(storeId(c), fileId);
    return c.json({ id: fileId, object: "vector_store.file.deleted", deleted: true });
  });
  app.get("/:vector_store_id/files/:file_id/content", async (c) => {
    const data = await vs.fileContent(storeId(c), c.req.param("file_id"));
    return c.json({ object: "vector_store.file_content.page", data, has_more: false, next_page: null });
  });

  app.post("/:vector_store_id/file_batches", async (c) => c.json(vs.createBatch(storeId(c), await readJson(c, FileBatchCreateParams))));
  app.get("/:vector_store_id/file_batches/:batch_id", (c) => c.json(vs.findBatch(storeId(c), c.req.param("batch_id"))));
  app.post("/:vector_store_id/file_batches/:batch_id/cancel", (c) => c.json(vs.cancelBatch(storeId(c), c.req.param("batch_id"))));
  app.get("/:vector_store_id/file_batches/:batch_id/files", (c) => {
    const batch = vs.findBatch(storeId(c), c.req.param("batch_id"));
    const q = listQuery(c, VectorStoreFileListQuery);
    const filter = { batch_id: batch.id, ...(q.filter ? { status: q.filter } : {}) };
    return c.json(filesPage(storeFiles.pageInStore(batch.vector_store_id, filter, q), q));
  });

  return app;
}
