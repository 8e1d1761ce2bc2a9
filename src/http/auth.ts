import type { Context } from "hono";
import { ApiError } from "../errors.js";
import { ANONYMOUS, type ApiKeyService, type Principal } from "../objects/api-keys.js";
import { principalOf } from "./edge-bindings.js";

/** Who a request is, from its key: throws 401 when a key is needed and it has none or a wrong one. */
export type Authenticate = (request: Request) => Principal;

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * Bearer-token check for every /v1 route when keys are configured (API_KEY, API_KEYS_FILE); without keys
 * (loopback only) every request is the default project's. The edge runs the rest of the request in the
 * principal's project: the store shows it that project's objects only (store/project-scope.ts).
 */
export function authenticator(keys: Pick<ApiKeyService, "authenticate" | "required">): Authenticate {
  if (!keys.required) return () => ANONYMOUS;
  return (request) => {
    const match = BEARER.exec((request.headers.get("authorization") ?? "").trim());
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
    return principal;
  };
}

/** The admin endpoints: 403 for any key that is not an admin key. */
export function requireAdmin(c: Context): Principal {
  return requireAdminPrincipal(principalOf(c));
}

export function requireAdminPrincipal(principal: Principal): Principal {
  if (!principal.admin) {
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
