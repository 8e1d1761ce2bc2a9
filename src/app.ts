import { Hono, type MiddlewareHandler } from "hono";
import type { H, RouterRoute } from "hono/types";
import { getPath } from "hono/utils/url";
import { ApiError } from "./errors.js";
import { assistantFilesRouter, messageFilesRouter } from "./http/assistant-files.js";
import { assistantsRouter } from "./http/assistants.js";
import { assistantsVersion } from "./http/assistants-version.js";
import { apiKeysRouter } from "./http/api-keys.js";
import { authenticator } from "./http/auth.js";
import { behindEdge } from "./http/edge.js";
import { FallbackRouter } from "./http/fallback-router.js";
import { type EdgeBindings, requestIdOfContext } from "./http/edge-bindings.js";
import { errorAnswer } from "./http/error-answer.js";
import { FileTransfer } from "./http/file-transfer.js";
import { filesRouter } from "./http/files.js";
import { healthHandler } from "./http/health.js";
import { jsonBodyLimit } from "./http/json-body-limit.js";
import { hostCheck, hostGuard } from "./http/host-guard.js";
import { messagesRouter } from "./http/messages.js";
import { originCheck, originGuard } from "./http/origin-guard.js";
import { RouteRecorder } from "./http/route-recorder.js";
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
import type { Metrics } from "./metrics.js";
import { metricsHandler, requestObserver } from "./http/observe.js";

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

/** What Hono's router stores per route. */
type RouteEntry = [H, RouterRoute];

/** Builds the HTTP application over already-created services. No I/O happens here. */
export function createApp(s: AppDeps): Hono {
  // The RegExpRouter wherever it can decide (fallback-router.ts), watched: the edge counts requests by the route
  // pattern it matched.
  const routes = new RouteRecorder(new FallbackRouter<RouteEntry>());
  // The edge has read the path already (bindings.path); in process without it, Hono's own reading.
  const app = new Hono({ router: routes, getPath: (request, options) => (options?.env as Partial<EdgeBindings> | undefined)?.path ?? getPath(request) });
  // The key's project scopes everything the request does (store/project-scope.ts); no keys: the default project.
  const authenticate = authenticator(s.apiKeys);
  const keyed = s.apiKeys.required ? authenticate : null;
  app.get("/health", healthHandler({ version: s.version, probeModels: () => s.probeModels(), readiness: () => s.readiness(), authenticate: keyed }));
  app.get("/metrics", metricsHandler(s.metrics, keyed, s.config.apiKeysFile === null));

  // ROLE=worker takes work from the database; its HTTP port answers only /health and /metrics.
  const servesApi = s.config.cluster.role !== "worker";
  if (servesApi) mountApi(app, s);

  app.notFound((c) => c.json(new ApiError(404, `Invalid URL (${c.req.method} ${c.req.path})`).toJSON(), 404));
  app.onError((err, c) => {
    const answer = errorAnswer(err, c.req.raw, requestIdOfContext(c));
    return c.body(answer.body, answer.status as 400, answer.headers);
  });
  const hosts = hostCheck(s.config);
  return behindEdge(app, {
    // Browser-borne attacks: DNS rebinding (Host), cross-site writes and CORS (Origin). Before every route.
    hostGuard: hosts === null ? null : hostGuard(hosts),
    originGuard: originGuard(originCheck(s.config)),
    // `OpenAI-Beta: assistants=v1` gets the v1 wire format over the same store (objects/v1-view.ts).
    api: servesApi ? { authenticate, version: assistantsVersion({ assistants: s.assistants, runExpirySeconds: s.config.runs.expirySeconds }) } : null,
    observer: requestObserver(s.metrics),
    lastRoute: () => routes.lastRoute(),
    maxJsonBodyBytes: s.config.limits.maxJsonBodyBytes,
  });
}

/** The OpenAI-compatible API under /v1, and the Playground at /. */
function mountApi(app: Hono, s: AppDeps): void {
  const v1 = new Hono();
  v1.on(BODY_METHODS, "*", sizeLimit(s));
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
 * The methods that carry a body. GET/HEAD carry none (the node adapter drops one): registered for these only,
 * the body limit's look at `raw.body` does not build a full Request for a GET.
 */
const BODY_METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * JSON bodies are held to MAX_JSON_BODY_BYTES (json-body-limit.ts). Uploads pass: FileTransfer streams them to
 * disk and holds them to MAX_UPLOAD_BYTES itself (a limit that reads a chunked body would buffer it).
 */
function sizeLimit(s: Pick<AppDeps, "config">): MiddlewareHandler {
  const json = jsonBodyLimit(s.config.limits.maxJsonBodyBytes);
  return (c, next) => (isUpload(c.req.method, c.req.path, c.req.header("content-type")) ? next() : json(c, next));
}

/** A file upload (FileTransfer streams it and holds it to MAX_UPLOAD_BYTES): /v1/files, or a multipart container file. */
function isUpload(method: string, path: string, contentType: string | undefined): boolean {
  if (method !== "POST") return false;
  if (path === "/v1/files") return true;
  return /^\/v1\/containers\/[^/]+\/files$/.test(path) && (contentType ?? "").toLowerCase().startsWith("multipart/form-data");
}
