import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "./log.js";
import { ollamaHosts, parseS3Url } from "./config-lists.js";
import path from "node:path";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

/**
 * All configuration comes from the environment through this one function; nothing else reads process.env.
 * Names follow their ecosystems (HOST/PORT, Ollama's own OLLAMA_HOST).
 */
const EnvSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().min(1).default("./data"),
  /** Uploaded files in S3-compatible object storage (s3://bucket/prefix) as well as DATA_DIR: several nodes without a shared volume. */
  BLOB_STORE: z.string().optional(),
  /** The S3-compatible server (MinIO, Ceph…) for BLOB_STORE; unset: AWS. */
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  /** BLOB_STORE's credentials (AWS's own names); unset: the SDK's usual chain (profile, instance role). */
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** How much the JSON log says (pino's levels); debug adds a line per request. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  /** PostgreSQL instead of DATA_DIR's SQLite file, for several server processes on one database. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL").optional(),
  /** The schema the tables live in (created if missing); default: the connection's own (public). */
  /**
   * What this process does among several nodes (PostgreSQL): `all` (the default: HTTP and work), `api` (HTTP;
   * executes only what it streams, indexes nothing) or `worker` (takes queued runs and indexing; answers only
   * /health and /metrics).
   */
  ROLE: z.enum(["all", "api", "worker"]).default("all"),
  /** How long a node's hold on a run or response lasts unrenewed (it renews every third of it): how soon a dead node's work is taken over. */
  CLUSTER_LEASE_SECONDS: z.coerce.number().positive().max(3600).default(20),
  DATABASE_SCHEMA: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "a plain SQL identifier").optional(),
  OLLAMA_HOST: z.string().min(1).default("http://127.0.0.1:11434"),
  /** Several Ollama servers, comma-separated: each call goes to the least busy one that has the model. */
  OLLAMA_HOSTS: z.string().optional(),
  /** Which model server runs chat and embeddings: Ollama, or any OpenAI-compatible server at LLM_BASE_URL. */
  LLM_BACKEND: z.enum(["auto", "ollama", "openai", "embedded"]).default("auto"),
  /** The embedded engine's GGUF files: a path, or a file name in models/. */
  EMBEDDED_CHAT_MODEL: z.string().min(1).optional(),
  EMBEDDED_EMBEDDING_MODEL: z.string().optional(),
  /** A model download that receives nothing for this long fails (the error says which file to put where). */
  EMBEDDED_DOWNLOAD_STALL_SECONDS: z.coerce.number().int().positive().default(30),
  /** Where GGUF models live and are downloaded to (default: the repo's models/). */
  MODELS_DIR: z.string().min(1).optional(),
  EMBEDDED_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  /** Replies the embedded engine generates at once per model (llama.cpp sequences of one context). */
  EMBEDDED_PARALLEL: z.coerce.number().int().min(1).max(64).default(2),
  /** A loaded model unused this long is unloaded (its memory freed); the next call loads it again. */
  EMBEDDED_IDLE_SECONDS: z.coerce.number().int().positive().default(300),
  LLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  API_KEY: z.string().min(1).optional(),
  API_KEYS_FILE: z.string().min(1).optional(),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  ALLOW_PLAINTEXT: z.enum(["0", "1", "false", "true"]).optional(),
  ALLOWED_HOSTS: z.string().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  MODELS_FILE: z.string().min(1).optional(),
  CHAT_MODEL: z.string().min(1).optional(),
  EMBEDDING_MODEL: z.string().optional(),
  MAX_JSON_BODY_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),
  MAX_CONCURRENT_UPLOADS: z.coerce.number().int().min(1).max(256).default(4),
  DATA_ENCRYPTION_KEY: z.string().min(1).optional(),
  DATA_ENCRYPTION_KEY_FILE: z.string().min(1).optional(),
  RUN_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  MODEL_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  RUN_EXPIRY_SECONDS: z.coerce.number().int().positive().default(600),
  /** A Responses WebSocket connection's lifetime (Open Responses: 60 minutes). */
  WEBSOCKET_CONNECTION_LIMIT_SECONDS: z.coerce.number().int().positive().max(3600).default(3600),
  SANDBOX_WORKERS: z.coerce.number().int().min(1).max(32).default(2),
  SANDBOX_TIME_MS: z.coerce.number().int().positive().default(5000),
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(16).max(1024).default(64),
  SANDBOX_OUTPUT_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  SANDBOX_MAX_SESSIONS: z.coerce.number().int().min(1).default(16),
  SANDBOX_SESSION_IDLE_SECONDS: z.coerce.number().int().positive().default(1800),
  SANDBOX_MAX_FILE_BYTES: z.coerce.number().int().positive().optional(),
  SANDBOX_MAX_INPUT_BYTES: z.coerce.number().int().positive().optional(),
  // 60 s: the 117-page test PDF parses in ~0.5–0.7 s (~6 ms a page), so a 60 s limit leaves ~100x for slow
  // machines and PDF_MAX_PAGES-sized documents, while a hostile one holds its PDF worker for at most a minute.
  PDF_PARSE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  PDF_MAX_PAGES: z.coerce.number().int().positive().default(10_000),
  PDF_MAX_INFLATED_MB: z.coerce.number().positive().default(256),
  INGESTION_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  PDF_PARSE_MEMORY_MB: z.coerce.number().int().min(16).max(65536).optional(),
  PDF_PARSE_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /** Tesseract languages for OCR, `+`-separated (each the package @tesseract.js-data/<code>); empty: no OCR. */
  OCR_LANGUAGES: z.string().regex(/^([a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*)?$/, "expected language codes joined by +, e.g. eng or eng+deu").default("eng"),
  OCR_WORKERS: z.coerce.number().int().min(1).max(16).optional(),
  OCR_MAX_PAGES: z.coerce.number().int().positive().default(200),
  OCR_TIMEOUT_SECONDS: z.coerce.number().positive().default(600),
  OCR_MAX_MEGAPIXELS: z.coerce.number().positive().default(100),
});

export type Env = Record<string, string | undefined>;

/** Every environment variable the server reads (tests clear them all before starting a server process). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(EnvSchema.shape));

/** LLM_BACKEND=embedded: GGUF models run in this process (llm/embedded/). */
export interface EmbeddedConfig {
  /** MODELS_DIR: where bare file names are looked up and remote models are downloaded to (default models/). */
  readonly modelsDir: string;
  /** EMBEDDED_CHAT_MODEL: a path, a file name in modelsDir, an https:// URL or an hf: URI (llm/embedded/model-files.ts). */
  readonly chatModel: string;
  /** EMBEDDED_EMBEDDING_MODEL, the same kinds of source; null (set empty): vector stores use BM25 alone. */
  readonly embeddingModel: string | null;
  readonly threads: number;
  readonly parallel: number;
  readonly idleMs: number;
  /** EMBEDDED_DOWNLOAD_STALL_SECONDS in ms. */
  readonly downloadStallMs: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** DATABASE_URL (+ DATABASE_SCHEMA): objects live in PostgreSQL; null: in `<dataDir>/db.sqlite`. */
  readonly database: { readonly url: string; readonly schema: string | null } | null;
  readonly logLevel: LogLevel;
  /** BLOB_STORE: uploaded files also in this bucket (every node reads them there); null: DATA_DIR only. */
  readonly blobStore: {
    readonly bucket: string;
    readonly prefix: string;
    readonly endpoint: string | null;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | null;
  } | null;
  /** Several nodes on one PostgreSQL: CLUSTER_LEASE_SECONDS in ms. */
  readonly cluster: { readonly leaseMs: number; readonly role: "all" | "api" | "worker" };
  readonly apiKey: string | null;
  /** API_KEYS_FILE: keys (as SHA-256) with their projects; objects/api-keys.ts reads it. null: unset. */
  readonly apiKeysFile: string | null;
  /** TLS_CERT_FILE + TLS_KEY_FILE (PEM): HTTPS only (src/tls.ts reads and checks them); null: plaintext HTTP. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** ALLOW_PLAINTEXT=1: a non-loopback bind may speak plaintext HTTP (e.g. behind a TLS-terminating proxy). */
  readonly allowPlaintext: boolean;
  /** Host header values answered beyond loopback names and HOST (lowercase; `*` any, `*.x` subdomains of x). */
  readonly allowedHosts: readonly string[];
  /** Origins allowed to call cross-origin beyond loopback ones (`*` any; `*` inside an entry matches any run). */
  readonly allowedOrigins: readonly string[];
  /** `host`: OLLAMA_HOST, or the first of OLLAMA_HOSTS; `hosts`: every one (one entry without OLLAMA_HOSTS). */
  readonly ollama: { readonly host: string; readonly hosts: readonly string[]; readonly timeoutMs: number };
  /** LLM_BACKEND: `ollama`, or `openai` with the server's base URL (…/v1) and key (null: none). */
  readonly llm:
    | { readonly backend: "ollama" }
    | { readonly backend: "openai"; readonly baseUrl: string; readonly apiKey: string | null }
    | { readonly backend: "embedded" | "auto"; readonly embedded: EmbeddedConfig };
  readonly models: {
    /** Path of the model manifest (public names → Ollama tags). */
    readonly manifestFile: string;
    /** Overrides of the manifest's defaults; empty string for embedding means "none: BM25 only". */
    readonly chatModel: string | null;
    readonly embeddingModel: string | null;
  };
  readonly limits: { readonly maxJsonBodyBytes: number; readonly maxUploadBytes: number; readonly maxConcurrentUploads: number };
  /** Encryption at rest (store/data-key.ts turns it into keys): the key itself, or the file holding it; null: off. */
  readonly encryption: { readonly key: string } | { readonly keyFile: string } | null;
  readonly runs: { readonly concurrency: number; readonly expirySeconds: number };
  readonly responses: { readonly socketLimitSeconds: number };
  readonly sandbox: {
    readonly workers: number;
    readonly timeMs: number;
    readonly memoryBytes: number;
    readonly outputBytes: number;
    readonly maxSessions: number;
    readonly sessionIdleMs: number;
    /** Largest attached file given to the sandbox; larger ones are skipped with a readable error. */
    readonly maxFileBytes: number;
    /** Most bytes of attached files given to one call, all together. */
    readonly maxInputBytes: number;
  };
  /** Limits of the PDF worker: a PDF past either fails alone, with a message naming the limit. */
  readonly pdf: {
    readonly timeoutMs: number;
    /** null: V8's default heap limit */
    readonly memoryMb: number | null;
    /** Most worker threads parsing one PDF's pages side by side. */
    readonly threads: number;
    /** Most pages of one PDF (PDF_MAX_PAGES). */
    readonly maxPages: number;
    /** Most bytes one PDF's compressed non-image streams may inflate to (PDF_MAX_INFLATED_MB). */
    readonly maxInflatedBytes: number;
  };
  /** Lanes of the ingestor: files of different stores indexed side by side (INGESTION_CONCURRENCY). */
  readonly ingestion: { readonly concurrency: number };
  /**
   * OCR of scanned PDF pages and images added to vector stores (files/ocr/); null: off (OCR_LANGUAGES empty).
   * Each limit fails that file only, with a message naming its variable.
   */
  readonly ocr: {
    /** Tesseract language codes (OCR_LANGUAGES); the composition root checks each one's package is installed. */
    readonly languages: readonly string[];
    /** Tesseract worker threads (OCR_WORKERS). */
    readonly workers: number;
    /** Most pages of one PDF that need OCR (OCR_MAX_PAGES). */
    readonly maxPages: number;
    /** Longest one file's OCR may take (OCR_TIMEOUT_SECONDS). */
    readonly timeoutMs: number;
    /** Largest image (or rendered page) OCR reads, in pixels (OCR_MAX_MEGAPIXELS). */
    readonly maxPixels: number;
  } | null;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function configError(message: string): never {
  throw new ConfigError(message);
}

export function loadConfig(env: Env = process.env): Config {
  const parsed = EnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const e = parsed.data;
  const hosts = ollamaHosts(e.OLLAMA_HOSTS, e.OLLAMA_HOST, configError);
  // Several hosts are Ollama's: LLM_BACKEND=auto watches one Ollama to fall back on the embedded engine.
  if (hosts.length > 1 && env.LLM_BACKEND === "auto") {
    configError("OLLAMA_HOSTS lists several Ollama servers, which LLM_BACKEND=auto does not watch: set LLM_BACKEND=ollama (or leave it unset).");
  }
  const backend = hosts.length > 1 && stripEmpty(env).LLM_BACKEND === undefined ? "ollama" : e.LLM_BACKEND;
  const config: Config = Object.freeze({
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    blobStore: e.BLOB_STORE === undefined ? null : Object.freeze({
      ...(parseS3Url(e.BLOB_STORE) ?? configError(`BLOB_STORE must be an s3://bucket/prefix URL (the bucket name in lowercase); got '${e.BLOB_STORE}'.`)),
      endpoint: e.S3_ENDPOINT ?? null,
      region: e.S3_REGION,
      credentials: e.AWS_ACCESS_KEY_ID !== undefined && e.AWS_SECRET_ACCESS_KEY !== undefined
        ? Object.freeze({ accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY })
        : null,
    }),
    cluster: Object.freeze({
      leaseMs: Math.round(e.CLUSTER_LEASE_SECONDS * 1000),
      role: e.ROLE !== "all" && e.DATABASE_URL === undefined
        ? configError(`ROLE=${e.ROLE} splits work between server processes sharing one PostgreSQL: set DATABASE_URL too (on SQLite there is one process, ROLE=all).`)
        : e.ROLE,
    }),
    database: e.DATABASE_URL === undefined ? null : Object.freeze({ url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA ?? null }),
    apiKey: e.API_KEY ?? null,
    apiKeysFile: e.API_KEYS_FILE === undefined ? null : path.resolve(e.API_KEYS_FILE),
    tls: e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined
      ? Object.freeze({ certFile: path.resolve(e.TLS_CERT_FILE), keyFile: path.resolve(e.TLS_KEY_FILE) })
      : e.TLS_CERT_FILE === undefined && e.TLS_KEY_FILE === undefined ? null
      : configError(`Set both TLS_CERT_FILE and TLS_KEY_FILE (PEM certificate and its private key) for HTTPS, or neither for plaintext HTTP: only ${e.TLS_CERT_FILE === undefined ? "TLS_KEY_FILE" : "TLS_CERT_FILE"} is set.`),
    allowPlaintext: e.ALLOW_PLAINTEXT === "1" || e.ALLOW_PLAINTEXT === "true",
    allowedHosts: Object.freeze(listOf(e.ALLOWED_HOSTS, "ALLOWED_HOSTS", ALLOWED_HOST_ENTRY, "a host name such as app.example, app.example:8080 or *.example")),
    allowedOrigins: Object.freeze(listOf(e.ALLOWED_ORIGINS, "ALLOWED_ORIGINS", ALLOWED_ORIGIN_ENTRY, "an origin such as https://app.example:8443 or https://*.example").map((o) => o.replace(/\/+$/, ""))),
    ollama: Object.freeze({ host: hosts[0]!, hosts: Object.freeze(hosts), timeoutMs: e.MODEL_TIMEOUT_MS }),
    llm: backend === "ollama" ? Object.freeze({ backend: "ollama" as const })
      : backend === "embedded" || backend === "auto" ? Object.freeze({ backend, embedded: Object.freeze({
          modelsDir: path.resolve(e.MODELS_DIR ?? path.dirname(defaultManifestPath())),
          chatModel: e.EMBEDDED_CHAT_MODEL ?? DEFAULT_EMBEDDED_CHAT_MODEL,
          // Empty: vector stores search with BM25 alone.
          embeddingModel: env.EMBEDDED_EMBEDDING_MODEL === undefined ? DEFAULT_EMBEDDED_EMBEDDING_MODEL : e.EMBEDDED_EMBEDDING_MODEL || null,
          // Measured on 2 cores (stories260K): 1 thread 1,359-1,742 tokens/s, 2 threads 82-84. llama.cpp's
          // threads spin against everything else on a small machine; beyond 2 CPUs, one thread per CPU.
          threads: e.EMBEDDED_THREADS ?? (availableParallelism() <= 2 ? 1 : availableParallelism()),
          parallel: e.EMBEDDED_PARALLEL,
          idleMs: e.EMBEDDED_IDLE_SECONDS * 1000,
          downloadStallMs: e.EMBEDDED_DOWNLOAD_STALL_SECONDS * 1000,
        }) })
      : e.LLM_BASE_URL === undefined ? configError("LLM_BACKEND=openai needs LLM_BASE_URL, the server's OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1 for vLLM).")
      : Object.freeze({ backend: "openai" as const, baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ""), apiKey: e.LLM_API_KEY ?? null }),
    models: Object.freeze({
      manifestFile: path.resolve(e.MODELS_FILE ?? defaultManifestPath()),
      chatModel: e.CHAT_MODEL ?? null,
      embeddingModel: env.EMBEDDING_MODEL === undefined ? null : e.EMBEDDING_MODEL ?? "",
    }),
    limits: Object.freeze({ maxJsonBodyBytes: e.MAX_JSON_BODY_BYTES, maxUploadBytes: e.MAX_UPLOAD_BYTES, maxConcurrentUploads: e.MAX_CONCURRENT_UPLOADS }),
    encryption: e.DATA_ENCRYPTION_KEY !== undefined && e.DATA_ENCRYPTION_KEY_FILE !== undefined
      ? configError("Set DATA_ENCRYPTION_KEY or DATA_ENCRYPTION_KEY_FILE, not both.")
      : e.DATA_ENCRYPTION_KEY !== undefined ? Object.freeze({ key: e.DATA_ENCRYPTION_KEY })
      : e.DATA_ENCRYPTION_KEY_FILE !== undefined ? Object.freeze({ keyFile: path.resolve(e.DATA_ENCRYPTION_KEY_FILE) }) : null,
    runs: Object.freeze({ concurrency: e.RUN_CONCURRENCY, expirySeconds: e.RUN_EXPIRY_SECONDS }),
    responses: Object.freeze({ socketLimitSeconds: e.WEBSOCKET_CONNECTION_LIMIT_SECONDS }),
    sandbox: Object.freeze({
      workers: e.SANDBOX_WORKERS,
      timeMs: e.SANDBOX_TIME_MS,
      memoryBytes: e.SANDBOX_MEMORY_MB * 1024 * 1024,
      outputBytes: e.SANDBOX_OUTPUT_BYTES,
      maxSessions: e.SANDBOX_MAX_SESSIONS,
      sessionIdleMs: e.SANDBOX_SESSION_IDLE_SECONDS * 1000,
      // A guest can read at most a quarter of its memory in one piece (host-bridge), so a larger file is no use.
      maxFileBytes: e.SANDBOX_MAX_FILE_BYTES ?? Math.floor((e.SANDBOX_MEMORY_MB * 1024 * 1024) / 4),
      maxInputBytes: e.SANDBOX_MAX_INPUT_BYTES ?? e.SANDBOX_MEMORY_MB * 1024 * 1024,
    }),
    pdf: Object.freeze({
      timeoutMs: e.PDF_PARSE_TIMEOUT_MS,
      memoryMb: e.PDF_PARSE_MEMORY_MB ?? null,
      // Two threads share a long PDF's pages where there are two CPUs (bench/ingestion.ts). More are not the
      // default: each loads the whole document again, and only two CPUs were at hand to measure them.
      threads: e.PDF_PARSE_THREADS ?? Math.min(2, availableParallelism()),
      maxPages: e.PDF_MAX_PAGES,
      maxInflatedBytes: Math.round(e.PDF_MAX_INFLATED_MB * 1024 * 1024),
    }),
    ingestion: Object.freeze({ concurrency: e.INGESTION_CONCURRENCY }),
    ocr: e.OCR_LANGUAGES === "" ? null : Object.freeze({
      languages: Object.freeze(e.OCR_LANGUAGES.split("+")),
      // Tesseract's recognition is one thread per worker: on 2 CPUs one worker leaves a core for the API, the
      // page rendering and the PDF parser; beyond that, half the CPUs (each worker holds ~100-200 MB).
      workers: e.OCR_WORKERS ?? (availableParallelism() <= 2 ? 1 : Math.min(4, Math.floor(availableParallelism() / 2))),
      maxPages: e.OCR_MAX_PAGES,
      timeoutMs: Math.round(e.OCR_TIMEOUT_SECONDS * 1000),
      maxPixels: Math.round(e.OCR_MAX_MEGAPIXELS * 1_000_000),
    }),
  });
  assertSafeBinding(config);
  return config;
}

/**
 * Refuse to expose the server beyond this machine without a key (anyone could read everything) or without TLS
 * (keys, prompts and documents would cross the network in clear) unless ALLOW_PLAINTEXT=1 says a proxy encrypts.
 */
function assertSafeBinding(config: Config): void {
  if (isLoopback(config.host)) return;
  const noKey = config.apiKey === null && config.apiKeysFile === null;
  const plaintext = config.tls === null && !config.allowPlaintext;
  const tlsFix =
    "set TLS_CERT_FILE=<cert.pem> and TLS_KEY_FILE=<key.pem> to serve HTTPS, or ALLOW_PLAINTEXT=1 if a TLS proxy in front of the server encrypts the traffic";
  if (noKey) {
    throw new ConfigError(
      `Refusing to listen on ${config.host} without API_KEY: anyone on the network could read your ` +
        `assistants and files. Set API_KEY=<secret> (clients send it as the Bearer token) or API_KEYS_FILE` +
        (plaintext ? `, and ${tlsFix}` : "") +
        `; or bind HOST=127.0.0.1.`,
    );
  }
  if (plaintext) {
    throw new ConfigError(
      `Refusing to listen on ${config.host} over plaintext HTTP: API keys, prompts and documents would cross the ` +
        `network unencrypted. S${tlsFix.slice(1)}; or bind HOST=127.0.0.1.`,
    );
  }
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A host name, `[IPv6]`, either with `:port`; or `*`, or `*.suffix`. */
const ALLOWED_HOST_ENTRY = /^(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?(:\d{1,5})?|\[[0-9a-f:.]+\](:\d{1,5})?)$/;
/** `*`, or an origin `scheme://host[:port]` in which `*` may stand for any run of characters. */
const ALLOWED_ORIGIN_ENTRY = /^(\*|[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+\/?)$/;

/** A comma-separated list, trimmed and lowercased; an entry not matching `entry` is a ConfigError. */
function listOf(value: string | undefined, name: string, entry: RegExp, expected: string): string[] {
  const items = (value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  const bad = items.find((s) => !entry.test(s));
  if (bad !== undefined) throw new ConfigError(`Invalid configuration: ${name}: ${JSON.stringify(bad)} is not ${expected}.`);
  return items;
}

/**
 * The embedded engine's defaults, downloaded into models/ on first use (README, "Embedded engine", says why):
 * Qwen2.5 1.5B Instruct at Q4_K_M (about 1 GB; tool calling in its chat template, fast on a laptop CPU) and
 * nomic-embed-text v1.5 at Q8_0 (137 M parameters, about 146 MB; the embedding model the Ollama default uses).
 */
export const DEFAULT_EMBEDDED_CHAT_MODEL = "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf";
export const DEFAULT_EMBEDDED_EMBEDDING_MODEL = "hf:nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q8_0.gguf";

function defaultManifestPath(): string {
  return fileURLToPath(new URL("../models/manifest.json", import.meta.url)); // a path with spaces stays one
}

/** `EMBEDDING_MODEL=` and `EMBEDDED_EMBEDDING_MODEL=` (empty: BM25 only) and `OCR_LANGUAGES=` (empty: no OCR) are meaningful; every other empty variable means "unset". */
function stripEmpty(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (v !== "" || k === "EMBEDDING_MODEL" || k === "EMBEDDED_EMBEDDING_MODEL" || k === "OCR_LANGUAGES")) out[k] = v;
  return out;
}
