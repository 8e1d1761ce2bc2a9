import { z } from "zod";

/** Project names: what API_KEYS_FILE and the key endpoints accept (they appear in URLs). */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const ProjectName = z.string().regex(PROJECT_NAME, "project names are 1-64 characters of letters, digits, '_', '.' and '-', starting with a letter or digit");

const KeyName = z.string().min(1).max(256);

/** `POST /v1/organization/admin_api_keys`. `project_id` (beyond OpenAI): the new key's own project, default the caller's. */
export const AdminKeyCreateParams = z.strictObject({ name: KeyName, project_id: ProjectName.optional() });

/** `POST /v1/organization/projects/{project_id}/api_keys` (beyond OpenAI, which makes project keys in its dashboard). */
export const ProjectKeyCreateParams = z.strictObject({ name: KeyName });

export const KeyListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("asc"),
  after: z.string().min(1).optional(),
});

/** OpenAI's `organization.admin_api_key` (`value` only in the create answer), plus the key's `project_id`. */
export interface AdminApiKey {
  object: "organization.admin_api_key";
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  owner: { type: "service_account"; object: "organization.service_account"; id: string; name: string; created_at: number; role: "owner" };
  project_id: string;
  value?: string;
}

/** OpenAI's `organization.project.api_key` (`value` only in the create answer). */
export interface ProjectApiKey {
  object: "organization.project.api_key";
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner: { type: "service_account"; service_account: { id: string; name: string; created_at: number; role: "member" } };
  owner_project_access: "active";
  value?: string;
}
