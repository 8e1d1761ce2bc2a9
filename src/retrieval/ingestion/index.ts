/** Ingestion: from attached files to index chunks (see ingestor.ts for how its parts fit together). */
export { Ingestor, type IngestorDeps, type IngestPlacement } from "./ingestor.js";
export { embedTexts, indexFile, ingestPages, type IndexFileOptions, type IndexFileResult, type IngestResult, type IngestTarget } from "./ingest-pages.js";
