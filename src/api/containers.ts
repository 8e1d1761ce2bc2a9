import { z } from "zod";

/** Wire shape of a container (names follow openai-node's `Containers` types). */
export interface Container {
  id: string;
  object: "container";
  name: string;
  created_at: number;
  /** `running` while usable; `expired` once idle past `expires_after`. */
  status: "running" | "expired";
  last_active_at: number;
  expires_after: { anchor: "last_active_at"; minutes: number };
  memory_limit: "1g" | "4g" | "16g" | "64g";
}

/** A container as stored: the wire object and the files its code can read (uploaded, and written by its code). */
export interface ContainerRecord extends Container {
  file_ids: string[];
}

/** A file in a container, as the Containers API shows it (its id is the uploaded file's: downloadable both ways). */
export interface ContainerFile {
  id: string;
  object: "container.file";
  container_id: string;
  created_at: number;
  bytes: number;
  /** Where the code finds it by name (`files.readText(name)`), shown as the hosted API's mount path. */
  path: string;
  /** `user`: given to the container; `assistant`: written by its code. */
  source: "user" | "assistant";
}

export const MEMORY_LIMITS = ["1g", "4g", "16g", "64g"] as const;

/** `POST /v1/containers`. The sandbox has no network: only `network_policy: {type: "disabled"}` can be honoured. */
export const ContainerCreateParams = z.strictObject({
  name: z.string().min(1).max(256),
  file_ids: z.array(z.string().min(1)).max(100).optional(),
  expires_after: z.strictObject({ anchor: z.literal("last_active_at"), minutes: z.int().min(1).max(1440) }).optional(),
  memory_limit: z.enum(MEMORY_LIMITS).nullable().optional(),
  network_policy: z.strictObject({ type: z.literal("disabled") }).optional(),
});
export type ContainerCreateParams = z.infer<typeof ContainerCreateParams>;

/** `POST /v1/containers/{id}/files` as JSON: an uploaded file copied in (an upload is multipart instead). */
export const ContainerFileCreateParams = z.strictObject({ file_id: z.string().min(1) });
