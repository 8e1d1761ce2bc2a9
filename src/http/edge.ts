import type { Hono } from "hono";
import { getPath } from "hono/utils/url";
import { inProject } from "../store/project-scope.js";
import { type AssistantsVersion, hasWireVersions } from "./assistants-version.js";
import type { Authenticate } from "./auth.js";
import { drainUnreadBody } from "./drain-body.js";
import type { EdgeBindings } from "./edge-bindings.js";
import { errorAnswer } from "./error-answer.js";
import type { HostGuard } from "./host-guard.js";
import type { RequestObserver } from "./observe.js";
import { markCrossOrigin, type OriginGuard } from "./origin-guard.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";
import { takeOverSocket } from "./sse.js";
import { UNMATCHED } from "./route-recorder.js";

export interface EdgeDeps {
  /** The DNS-rebinding guard; null where this configuration checks no Host. */
  readonly hostGuard: HostGuard | null;
  readonly originGuard: OriginGuard;
  /** The /v1 API's own steps; null where this node serves no API (ROLE=worker answers /health and /metrics only). */
  readonly api: { readonly authenticate: Authenticate; readonly version: AssistantsVersion } | null;
  readonly observer: RequestObserver;
  /** The route pattern the app's router matched last (route-recorder.ts). */
  lastRoute(): string;
  /** Unread bodies up to this size are drained before the answer goes out (drain-body.ts). */
  readonly maxJsonBodyBytes: number;
}

type Answer = Response | Promise<Response>;

/**
 * The edge: what every request passes before and after its route, in this order: its request id, the Host
 * guard (DNS rebinding), the Origin guard (cross-site requests, CORS preflights), and for /v1 the key (whose
 * project the route then runs in) and the Assistants wire version; after the route, the v1 rewrite of JSON
 * answers, CORS marks, the request's count and log line, and draining a body nobody read.
 *
 * These are plain calls around the router rather than Hono middleware because each middleware layer made
 * every request asynchronous and cost about a microsecond on top: eight of them were a third of the CPU of a
 * cached `GET /v1/assistants/{id}` (bench/api-throughput.ts). A route that answers synchronously (the cached
 * reads) is answered synchronously here too, which the node adapter writes out without awaiting anything.
 *
 * `app.fetch` (and so `app.request`, the tests' way in) goes through it: the app's routes never run without it.
 */
export function behindEdge(app: Hono, deps: EdgeDeps): Hono {
  const route = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    // The adapter's own bindings object, extended rather than copied: a WebSocket upgrade reads back what its
    // route wrote on it.
    const bindings = (env ?? {}) as EdgeBindings;
    return edge(request, bindings, deps, () => route(request, bindings, executionCtx));
  };
  return app;
}

function edge(request: Request, bindings: EdgeBindings, deps: EdgeDeps, route: () => Answer): Answer {
  const started = deps.observer.started();
  const requestId = requestIdOf(request);
  bindings.requestId = requestId;
  // Over a socket the id goes straight onto Node's ServerResponse, which merges it into whatever headers the
  // answer is written with; put on the Response instead, every answer would need a WHATWG Headers object that
  // the adapter then copies back out header by header.
  const outgoing = bindings.outgoing;
  const onSocket = outgoing !== undefined && typeof outgoing.setHeader === "function";
  if (onSocket) outgoing.setHeader(REQUEST_ID_HEADER, requestId);
  let crossOrigin: string | null = null;
  let routeName = UNMATCHED;
  let answer: Answer;
  try {
    deps.hostGuard?.(request.headers.get("host"));
    const origin = deps.originGuard(request);
    if (origin instanceof Response) answer = origin; // an allowed preflight, answered here
    else {
      crossOrigin = origin;
      const api = deps.api;
      const path = getPath(request);
      bindings.path = path;
      if (api !== null && isApiPath(path)) {
        const principal = api.authenticate(request);
        bindings.principal = principal;
        if (hasWireVersions(path)) {
          const present = api.version.presenterFor(request);
          if (present !== null) bindings.present = present;
        }
        answer = inProject(principal.project, route);
      } else answer = route();
      routeName = deps.lastRoute(); // matched synchronously inside route()
    }
  } catch (err) {
    const e = errorAnswer(err instanceof Error ? err : new Error(String(err)), request, requestId);
    answer = new Response(e.body, { status: e.status, headers: e.headers });
  }

  const done = (res: Response): Answer => {
    if (crossOrigin !== null) markCrossOrigin(res, crossOrigin);
    const answered = onSocket ? res : withHeader(res, REQUEST_ID_HEADER, requestId);
    deps.observer.answered(request.method, routeName, answered.status, requestId, started);
    // An event stream writes itself to the socket, now that its headers are final (sse.ts).
    const out = (): Response => (onSocket && takeOverSocket(answered, outgoing) ? ALREADY_SENT : answered);
    const draining = drainUnreadBody(request, deps.maxJsonBodyBytes);
    return draining === undefined ? out() : draining.then(out);
  };
  const present = bindings.present;
  const finish = present === undefined ? done : (res: Response) => deps.api!.version.present(res, present).then(done);
  return isPromise(answer) ? answer.then(finish) : finish(answer);
}

/**
 * What the node adapter is given for an answer already being written to its socket: it writes nothing for a
 * body-less answer carrying this header. A plain object rather than a `Response`: the adapter's own lightweight
 * Response class (global once a server is listening) would be written out as an empty answer instead.
 */
const ALREADY_SENT = { status: 200, headers: new Headers({ "x-hono-already-sent": "true" }), body: null } as unknown as Response;

/** /v1 and everything under it. */
function isApiPath(path: string): boolean {
  return path.startsWith("/v1") && (path.length === 3 || path.charCodeAt(3) === 47); // "/"
}

function isPromise(answer: Answer): answer is Promise<Response> {
  return typeof (answer as Promise<Response>).then === "function";
}

/** `res` with `name` set; a copy where its headers are immutable (a Response passed through from fetch). */
function withHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}
