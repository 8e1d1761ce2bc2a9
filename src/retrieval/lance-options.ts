/** LanceIndex's options and their defaults (lance-index.ts), apart so its file holds the index itself. */
import type * as lancedb from "@lancedb/lancedb";
import type { ExpansionOptions } from "./query-expansion.js";
import type { ProximityOptions } from "./proximity.js";

export interface LanceIndexOptions {
  /**
   * Full-text index settings, fixed when a store's table is created. Defaults (spelled out so that a LanceDB
   * upgrade cannot change them silently): simple tokenizer, lowercase, ASCII folding, English stemming and
   * stop words — best of the variants measured on Cranfield (bench/retrieval-cranfield.ts).
   */
  fts?: Partial<lancedb.FtsOptions>;
  /** RRF constant for hybrid search. */
  rrfK?: number;
  /** Pseudo-relevance feedback on BM25 (query-expansion.ts); null: the query's own words only. */
  expansion?: ExpansionOptions | null;
  /** Re-ranking of BM25's best hits by how near they hold the query's words (proximity.ts); null: none. */
  proximity?: ProximityOptions | null;
  /** Versions newer than this are kept by optimize(): a query still reading one must not lose its files. */
  keepVersionsMs?: number;
  /** A store whose writes pause this long is optimized (see afterWrite). */
  optimizeIdleMs?: number;
  /**
   * Other server processes write the same directory (several nodes, a shared volume): reads check for their
   * commits (LanceDB's read consistency), and what this process knows of a store it is not writing (its
   * indexes, its dimension) is read again when older than SHARED_STORE_REFRESH_MS.
   */
  shared?: boolean;
  /** Object-store settings for an `s3://` location (LanceDB's: aws_endpoint, aws_region, keys, allow_http). */
  storageOptions?: Record<string, string>;
}

/** How stale a shared store's description may be for a search (a new full-text index shows up this late). */
export const SHARED_STORE_REFRESH_MS = 1000;

export const DEFAULT_FTS: Partial<lancedb.FtsOptions> = {
  baseTokenizer: "simple",
  lowercase: true,
  asciiFolding: true,
  stem: true,
  removeStopWords: true,
  language: "English",
  withPosition: false,
};
