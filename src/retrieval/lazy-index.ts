import type { ChunkRow, SearchHit, SearchQuery, VectorIndex } from "./vector-index.js";

/**
 * Opens the real index on first use. LanceDB's native module is large; a server (or test) that never
 * touches a vector store should not pay for loading it.
 */
export class LazyIndex implements VectorIndex {
  private opened: Promise<VectorIndex> | null = null;

  constructor(private readonly open: () => Promise<VectorIndex>) {}

  private get index(): Promise<VectorIndex> {
    this.opened ??= this.open();
    return this.opened;
  }

  async add(storeId: string, rows: ChunkRow[], vectors: number[][] | null, options?: { partial?: boolean }): Promise<void> {
    return (await this.index).add(storeId, rows, vectors, options);
  }
  async deleteFile(storeId: string, fileId: string): Promise<void> {
    return (await this.index).deleteFile(storeId, fileId);
  }
  async drop(storeId: string): Promise<void> {
    return (await this.index).drop(storeId);
  }
  async fileChunks(storeId: string, fileId: string): Promise<ChunkRow[]> {
    return (await this.index).fileChunks(storeId, fileId);
  }
  async search(storeId: string, query: SearchQuery): Promise<SearchHit[]> {
    return (await this.index).search(storeId, query);
  }
  async flush(storeId: string): Promise<void> {
    return (await this.index).flush(storeId);
  }
  async close(): Promise<void> {
    if (this.opened) await (await this.opened).close();
  }
}
