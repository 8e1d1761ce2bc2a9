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
