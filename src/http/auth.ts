import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors.js";
import { ANONYMOUS, type ApiKeyService, type Principal } from "../objects/api-keys.js";
import { inProject } from "../store/project-scope.js";

declare module "hono" {
  interface ContextVariableMap {
    /** Who the request's key says it is (set by the /v1 auth middleware). */
    principal: Principal;
  }
}

/**
 * Bearer-token check for every /v1 route when keys are configured (API_KEY, API_KEYS_FILE). The rest of the
 * request runs in the key's project: the store shows it that project's objects only (store/project-scope.ts).
 */
export function requireKey(keys: Pick<ApiKeyService, "authenticate">): MiddlewareHandler {
  return (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) {
      throw new ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        null,
        null,
      );
    }
    const principal = keys.authenticate(match[1]!);
    if (principal === null) throw new ApiError(401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
    c.set("principal", principal);
    return inProject(principal.project, next);
  };
}

/** Without keys (loopback only): every request is the default project's. */
export function anonymous(): MiddlewareHandler {
  return (c, next) => {
    c.set("principal", ANONYMOUS);
    return inProject(ANONYMOUS.project, next);
  };
}

/** The admin endpoints: 403 for any key that is not an admin key. */
export function requireAdmin(c: Context): Principal {
  const principal = c.get("principal");
  if (!principal?.admin) {
    throw new ApiError(
      403,
      "This endpoint needs an admin API key: your key can use its project's objects, not manage keys.",
      "invalid_request_error",
      null,
      "insufficient_permissions",
    );
  }
  return principal;
}
