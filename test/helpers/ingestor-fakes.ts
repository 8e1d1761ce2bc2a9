/**
 * The Ingestor over fakes, shared by its unit tests: store files in a map (keyed `store/file`), file contents
 * in a map, BM25 only (no embedder), every store existing. Each test brings its own index and PDF reader.
 */
import type { VectorStoreFile } from "../../src/api/wire.js";
import type { PdfReader } from "../../src/files/pdf-reader.js";
import { Ingestor, type IngestorDeps } from "../../src/retrieval/ingestion/index.js";
import { DEFAULT_PROJECT } from "../../src/store/project-scope.js";

export const DEFAULT_CHUNKING: VectorStoreFile["chunking_strategy"] = { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };

export interface FakeIngestorOptions {
  index: Pick<IngestorDeps["index"], "add" | "deleteFile" | "flush" | "drop">;
  pdf: PdfReader;
  groupMaxMs?: number | undefined;
  concurrency?: number | undefined;
  onSettled(storeId: string, members: Map<string, VectorStoreFile>): void;
}

export function fakeIngestor(options: FakeIngestorOptions) {
  const members = new Map<string, VectorStoreFile>();
  const contents = new Map<string, string>();
  const deps = {
    files: {
      content: async (id: string) => Buffer.from(contents.get(id)!),
      get: (id: string) => ({ filename: id.startsWith("pdf") ? `${id}.pdf` : `${id}.txt` }),
    },
    storeFiles: {
      get: (key: string) => members.get(key) ?? null,
      projectOf: (key: string) => (members.has(key) ? DEFAULT_PROJECT : null),
      update: (m: VectorStoreFile) => {
        members.set(`${m.vector_store_id}/${m.id}`, m);
        return m;
      },
    },
    indexSettings: { get: () => ({ embedding_model: null, dims: null }), set: () => {} },
    index: options.index,
    pdf: options.pdf,
    embedder: null,
    embedderFor: () => {
      throw new Error("no embedder here");
    },
    storeExists: () => true,
    groupMaxMs: options.groupMaxMs,
    onSettled: (storeId: string) => options.onSettled(storeId, members),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  };
  const ingestor = new Ingestor(deps as unknown as IngestorDeps);
  /** What the service does to add a file (or add it again): an in_progress row, then a job. */
  const add = (store: string, id: string, text: string, fresh = true, chunking = DEFAULT_CHUNKING) => {
    contents.set(id, text);
    members.set(`${store}/${id}`, {
      id,
      object: "vector_store.file",
      usage_bytes: 0,
      created_at: 0,
      vector_store_id: store,
      status: "in_progress",
      last_error: null,
      chunking_strategy: chunking,
      attributes: {},
    });
    ingestor.enqueue(store, id, fresh);
  };
  return { ingestor, members, add };
}
