import { Hono, type Context } from "hono";
import { AdminKeyCreateParams, KeyListQuery, ProjectKeyCreateParams, ProjectName, type AdminApiKey, type ProjectApiKey } from "../api/api-keys.js";
import { ApiError } from "../errors.js";
import type { ApiKeyService, KeyKind } from "../objects/api-keys.js";
import type { ApiKeyRow } from "../store/api-keys-repo.js";
import { requireAdmin } from "./auth.js";
import { listPage } from "./list.js";
import { parseWith, readJson } from "./validation.js";
import { principalOf } from "./edge-bindings.js";

export interface ApiKeysRouterDeps {
  keys: ApiKeyService;
}

/**
 * Mounted at /v1/organization: creating, listing and revoking keys, in OpenAI's admin API shapes, for admin keys
 * only (403 otherwise). Admin keys manage the keys of every project; their own object requests stay in their
 * own project like any key's.
 *
 * - `/admin_api_keys`: admin keys (OpenAI's routes and objects).
 * - `/projects/{project_id}/api_keys`: a project's keys (OpenAI's list, retrieve, delete; create is ours).
 */
export function apiKeysRouter({ keys }: ApiKeysRouterDeps): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    requireAdmin(c);
    await next();
  });

  const ADMIN: KeyKind = { admin: true };
  const projectOf = (c: Context): KeyKind => ({ admin: false, project: c.req.param("project_id") ?? "" });
  const found = (row: ApiKeyRow | null, id: string): ApiKeyRow => {
    if (row === null) throw new ApiError(404, `No API key found with id '${id}'.`, "invalid_request_error", null, null);
    return row;
  };
  const list = <T extends { id: string }>(c: Context, kind: KeyKind, present: (r: ApiKeyRow) => T) => {
    const q = parseWith(KeyListQuery, c.req.query());
    const page = keys.page(kind, q);
    return c.json(listPage(page && { data: page.data.map(present), has_more: page.has_more }, q));
  };

  app.post("/admin_api_keys", async (c) => {
    const p = await readJson(c, AdminKeyCreateParams);
    const { row, value } = keys.create(p.name, p.project_id ?? principalOf(c).project, true);
    return c.json({ ...adminKey(row), value });
  });
  app.get("/admin_api_keys", (c) => list(c, ADMIN, adminKey));
  app.get("/admin_api_keys/:key_id", (c) => c.json(adminKey(found(keys.find(c.req.param("key_id"), ADMIN), c.req.param("key_id")))));
  app.delete("/admin_api_keys/:key_id", (c) => {
    const id = c.req.param("key_id");
    if (!keys.revoke(id, ADMIN)) found(null, id);
    return c.json({ id, object: "organization.admin_api_key.deleted", deleted: true });
  });

  app.post("/projects/:project_id/api_keys", async (c) => {
    const project = parseWith(ProjectName, c.req.param("project_id"));
    const p = await readJson(c, ProjectKeyCreateParams);
    const { row, value } = keys.create(p.name, project, false);
    return c.json({ ...projectKey(row), value });
  });
  app.get("/projects/:project_id/api_keys", (c) => list(c, projectOf(c), projectKey));
  app.get("/projects/:project_id/api_keys/:key_id", (c) => c.json(projectKey(found(keys.find(c.req.param("key_id"), projectOf(c)), c.req.param("key_id")))));
  app.delete("/projects/:project_id/api_keys/:key_id", (c) => {
    const id = c.req.param("key_id");
    if (!keys.revoke(id, projectOf(c))) found(null, id);
    return c.json({ id, object: "organization.project.api_key.deleted", deleted: true });
  });

  return app;
}

function adminKey(r: ApiKeyRow): AdminApiKey {
  return {
    object: "organization.admin_api_key",
    id: r.id,
    name: r.name,
    redacted_value: r.redacted_value,
    created_at: r.created_at,
    last_used_at: null,
    expires_at: null,
    owner: { type: "service_account", object: "organization.service_account", id: r.id, name: r.name, created_at: r.created_at, role: "owner" },
    project_id: r.project,
  };
}

function projectKey(r: ApiKeyRow): ProjectApiKey {
  return {
    object: "organization.project.api_key",
    id: r.id,
    name: r.name,
    redacted_value: r.redacted_value,
    created_at: r.created_at,
    last_used_at: null,
    owner: { type: "service_account", service_account: { id: r.id, name: r.name, created_at: r.created_at, role: "member" } },
    owner_project_access: "active",
  };
}
