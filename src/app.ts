import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { ApiError } from "./errors.js";
import { assistantFilesRouter, messageFilesRouter } from "./http/assistant-files.js";
import { assistantsRouter } from "./http/assistants.js";
import { assistantsVersion } from "./http/assistants-version.js";
import { apiKeysRouter } from "./http/api-keys.js";
import { anonymous, requireKey } from "./http/auth.js";
import { drainUnreadBody } from "./http/drain-body.js";
import { FileTransfer } from "./http/file-transfer.js";
import { filesRouter } from "./http/files.js";
import { dataDirectoryFull, isDiskFull } from "./http/storage-errors.js";
import { healthHandler } from "./http/health.js";
import { hostCheck, hostGuard } from "./http/host-guard.js";
import { messagesRouter } from "./http/messages.js";
import { originCheck, originGuard } from "./http/origin-guard.js";
import { containersRouter } from "./http/containers.js";
import { chatRouter } from "./http/chat.js";
import { embeddingsRouter } from "./http/embeddings.js";
import { modelsRouter } from "./http/models.js";
import { conversationsRouter } from "./http/conversations.js";
import { responsesRouter } from "./http/responses.js";
import { runsRouter } from "./http/runs.js";
import { stepsRouter } from "./http/steps.js";
import { threadsRouter } from "./http/threads.js";
import { vectorStoresRouter } from "./http/vector-stores.js";
import { playgroundRouter } from "./playground/router.js";
import type { Config } from "./config.js";
import type { FileService } from "./files/file-service.js";
import type { ApiKeyService } from "./objects/api-keys.js";
import type { ChatCompletions } from "./chat/chat-completions.js";
import type { EmbeddingsEndpoint } from "./llm/embeddings.js";
import type { ModelList } from "./llm/model-list.js";
import type { AssistantService } from "./objects/assistant-service.js";
import type { ThreadService } from "./objects/thread-service.js";
import type { FileSearchService } from "./retrieval/file-search.js";
import type { VectorStoreService } from "./retrieval/vector-store-service.js";
import type { ContainerService } from "./objects/container-service.js";
import type { ConversationService } from "./responses/conversations.js";
import type { ResponseService } from "./responses/response-service.js";
import type { RunService } from "./runs/run-service.js";
import type { Repos } from "./store/repos.js";
import { log } from "./log.js";
import type { Metrics } from "./metrics.js";
import { metricsHandler, observeRequests } from "./http/observe.js";

/** What the HTTP application is built from (the composition root's services satisfy it). */
export interface AppDeps {
  readonly version: string;
  readonly config: Pick<Config, "apiKey" | "apiKeysFile" | "cluster" | "limits" | "host" | "allowedHosts" | "allowedOrigins" | "runs" | "responses">;
  readonly repos: Pick<Repos, "steps" | "files" | "vectorStores" | "storeFiles">;
  readonly apiKeys: ApiKeyService;
  readonly assistants: AssistantService;
  readonly threads: ThreadService;
  readonly runs: RunService;
  readonly responses: ResponseService;
  readonly conversations: ConversationService;
  readonly containers: ContainerService;
  readonly modelList: ModelList;
  readonly embeddings: EmbeddingsEndpoint;
  readonly chatCompletions: ChatCompletions;
  readonly files: FileService;
  readonly vectorStores: VectorStoreService;
  readonly fileSearch: Pick<FileSearchService, "searchEndpoint">;
  probeModels(): Promise<Record<string, unknown>>;
  /** Whether the database and the data directory answer (GET /health's readiness). */
  readiness(): Promise<{ database: string | null; storage: string | null }>;
  readonly metrics: Metrics;
}

/** Builds the HTTP application over already-created services. No I/O happens here. */
export function createApp(s: AppDeps): Hono {
  const app = new Hono();
  // A body the handler left unread must not cost the connection. Registered for the methods that carry one,
  // so GETs (the hot path) pass no extra middleware.
  app.on(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"], "*", drainUnreadBody(s.config.limits.maxJsonBodyBytes));
  app.use("*", requestId({ headerName: "x-request-id" }));
  app.use("*", observeRequests(s.metrics));
  // Browser-borne attacks: DNS rebinding (Host), cross-site writes and CORS (Origin). Before every route.
  const hosts = hostCheck(s.config);
  if (hosts !== null) app.use("*", hostGuard(hosts));
  app.use("*", originGuard(originCheck(s.config)));
  // The key's project scopes everything the request does (store/project-scope.ts); no keys: the default project.
  const auth = s.apiKeys.required ? requireKey(s.apiKeys) : null;
  app.get("/health", healthHandler({ version: s.version, probeModels: () => s.probeModels(), readiness: () => s.readiness(), auth }));
  app.get("/metrics", metricsHandler(s.metrics, auth, s.config.apiKeysFile === null));

  // ROLE=worker takes work from the database; its HTTP port answers only /health and /metrics.
  if (s.config.cluster.role !== "worker") mountApi(app, s, auth);

  app.notFound((c) => c.json(new ApiError(404, `Invalid URL (${c.req.method} ${c.req.path})`).toJSON(), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status as 400);
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(new ApiError(err.status, err.message || "Bad request").toJSON(), err.status);
    }
    if (clientWentAway(c.req.raw, err)) {
      // Nobody will read this answer; it is the client's fault, not a server error worth logging.
      return c.json(new ApiError(400, "The client closed the connection before the request body was complete.").toJSON(), 400);
    }
    if (isDiskFull(err)) {
      c.header("x-should-retry", "false"); // retrying will not make room
      return c.json(dataDirectoryFull().toJSON(), 507);
    }
    log.error({ err, request_id: c.get("requestId") as string, method: c.req.method, path: c.req.path }, "request failed");
    const internal = new ApiError(500, "The server had an error while processing your request.", "server_error");
    return c.json(internal.toJSON(), 500);
  });
  return app;
}

/** The OpenAI-compatible API under /v1, and the Playground at /. */
function mountApi(app: Hono, s: AppDeps, auth: MiddlewareHandler | null): void {
  const v1 = new Hono();
  v1.use("*", auth ?? anonymous());
  v1.use("*", sizeLimit(s));
  // `OpenAI-Beta: assistants=v1` gets the v1 wire format over the same store (objects/v1-view.ts).
  const version = assistantsVersion({ assistants: s.assistants, runExpirySeconds: s.config.runs.expirySeconds });
  v1.use("/assistants/*", version);
  v1.use("/threads/*", version);
  v1.route("/assistants/:assistant_id/files", assistantFilesRouter({ assistants: s.assistants }));
  v1.route("/assistants", assistantsRouter({ assistants: s.assistants }));
  v1.route("/threads/:thread_id/messages/:message_id/files", messageFilesRouter({ threads: s.threads }));
  v1.route("/threads/:thread_id/messages", messagesRouter({ threads: s.threads }));
  // Steps and runs before threads: `POST /threads/runs` must not be read as "modify thread 'runs'".
  v1.route("/threads/:thread_id/runs/:run_id/steps", stepsRouter({ runs: s.runs, steps: s.repos.steps }));
  v1.route("/threads", runsRouter({ runs: s.runs }));
  v1.route("/threads", threadsRouter({ threads: s.threads }));
  const transfer = new FileTransfer(s.files, s.config.limits); // one upload gate for every route that takes files
  v1.route("/files", filesRouter({ files: s.files, fileRows: s.repos.files, transfer }));
  v1.route("/vector_stores", vectorStoresRouter({ vectorStores: s.vectorStores, search: s.fileSearch, storeRows: s.repos.vectorStores, storeFiles: s.repos.storeFiles }));
  v1.route("/models", modelsRouter({ models: s.modelList }));
  v1.route("/embeddings", embeddingsRouter({ embeddings: s.embeddings }));
  v1.route("/chat", chatRouter({ completions: s.chatCompletions }));
  v1.route("/containers", containersRouter({ containers: s.containers, files: s.files, transfer }));
  v1.route("/conversations", conversationsRouter({ conversations: s.conversations, responses: s.responses }));
  v1.route("/responses", responsesRouter({ responses: s.responses, socketLimitMs: s.config.responses.socketLimitSeconds * 1000, stillValid: (p) => s.apiKeys.stillValid(p) }));
  v1.route("/organization", apiKeysRouter({ keys: s.apiKeys }));
  app.route("/v1", v1);
  app.route("/", playgroundRouter()); // the Playground page at / (static, public; it asks for the key)
}

/**
 * JSON bodies are held to MAX_JSON_BODY_BYTES; over the limit → 413 in OpenAI's shape. Uploads pass: FileTransfer
 * streams them to disk and holds them to MAX_UPLOAD_BYTES itself (bodyLimit would buffer a chunked one).
 */
function sizeLimit(s: Pick<AppDeps, "config">) {
  const limiter = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, `Request body too large: the limit is ${maxSize} bytes.`, "invalid_request_error", null, "request_too_large");
      },
    });
  const json = limiter(s.config.limits.maxJsonBodyBytes);
  return (c: Parameters<typeof json>[0], next: Parameters<typeof json>[1]) => {
    // GET/HEAD carry no body (the node adapter drops one); bodyLimit's look at `raw.body` would build a full
    // Request for nothing, a third of the cost of a cached GET.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return isUpload(c.req.method, c.req.path, c.req.header("content-type")) ? next() : json(c, next);
  };
}

/** A file upload (FileTransfer streams it and holds it to MAX_UPLOAD_BYTES): /v1/files, or a multipart container file. */
function isUpload(method: string, path: string, contentType: string | undefined): boolean {
  if (method !== "POST") return false;
  if (path === "/v1/files") return true;
  return /^\/v1\/containers\/[^/]+\/files$/.test(path) && (contentType ?? "").toLowerCase().startsWith("multipart/form-data");
}

/** Reading the body failed because the peer hung up mid-body (Node's "aborted", ECONNRESET). */
function clientWentAway(req: Request, err: Error): boolean {
  return req.signal.aborted && (err as { code?: unknown }).code === "ECONNRESET";
}
