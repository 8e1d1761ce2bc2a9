import type { Container, ContainerFile, ContainerRecord } from "../api/containers.js";
import type { Clock } from "../clock.js";
import { badRequest } from "../errors.js";
import { newId } from "../ids.js";
import type { Page, PageQuery } from "../store/document-table.js";
import type { Repos } from "../store/repos.js";

/** A container unused this long expires, as hosted containers do (their default `expires_after`). */
export const CONTAINER_IDLE_MINUTES = 20;

/**
 * Containers: where code_interpreter runs for responses. A container is a sandbox session (its id is the
 * session key, so variables live on across calls while the sandbox keeps the session) and the files its code
 * can read: those it was given and those its code wrote. Using one keeps it alive; one idle past its
 * `expires_after` is expired and can no longer be used. The Containers endpoints build on this.
 */
export class ContainerService {
  constructor(private readonly deps: { repos: Pick<Repos, "containers" | "files">; clock: Clock; /** Ends the sandbox session named by the id. */ endSession: (id: string) => void }) {}

  /** A new running container with these files (ids checked, `param` naming the field that gave them). */
  create(
    p: { name: string; file_ids?: readonly string[] | undefined; memory_limit?: Container["memory_limit"] | null | undefined; expires_after?: { minutes: number } | undefined },
    param: string,
  ): ContainerRecord {
    const fileIds = [...new Set(p.file_ids ?? [])];
    this.checkFiles(fileIds, param);
    const now = this.deps.clock();
    return this.deps.repos.containers.insert({
      id: newId("cntr_"),
      object: "container",
      name: p.name,
      created_at: now,
      status: "running",
      last_active_at: now,
      expires_after: { anchor: "last_active_at", minutes: p.expires_after?.minutes ?? CONTAINER_IDLE_MINUTES },
      memory_limit: p.memory_limit ?? "1g",
      file_ids: fileIds,
    });
  }

  /** The container by id if it is still running, touched (its idle time starts again); a 400 naming `param` if not. */
  use(id: string, param: string): ContainerRecord {
    const found = this.get(id);
    if (!found) throw badRequest(`Container with id '${id}' not found.`, param, "invalid_container_id");
    if (found.status === "expired") throw badRequest(`Container '${id}' has expired: it was unused for more than ${found.expires_after.minutes} minutes. Use a new container ({"type": "auto"}).`, param, "container_expired");
    return this.deps.repos.containers.update({ ...found, last_active_at: this.deps.clock() });
  }

  /** The container with its status as of now (null: none with that id). */
  get(id: string): ContainerRecord | null {
    const stored = this.deps.repos.containers.get(id);
    if (!stored) return null;
    const expired = this.deps.clock() > stored.last_active_at + stored.expires_after.minutes * 60;
    return expired && stored.status === "running" ? { ...stored, status: "expired" } : stored;
  }

  /** Adds files (uploaded ones given to a later call, or files its code wrote) and touches the container. */
  addFiles(id: string, fileIds: readonly string[], param: string): ContainerRecord {
    this.checkFiles(fileIds, param);
    const container = this.use(id, param);
    const merged = [...new Set([...container.file_ids, ...fileIds])];
    return merged.length === container.file_ids.length ? container : this.deps.repos.containers.update({ ...container, file_ids: merged });
  }

  /** The containers, newest first by default, each with its status as of now. */
  page(q: PageQuery): Page<ContainerRecord> | null {
    const page = this.deps.repos.containers.page({}, q);
    return page && { ...page, data: page.data.map((c) => this.get(c.id) ?? c) };
  }

  /** Deletes it: it can no longer be used, and its sandbox session (the code's variables) ends now. */
  delete(id: string): boolean {
    const deleted = this.deps.repos.containers.delete(id);
    if (deleted) this.deps.endSession(id);
    return deleted;
  }

  /** Its files as the Containers API shows them, in the order they came in. */
  files(container: ContainerRecord): ContainerFile[] {
    return container.file_ids.flatMap((fileId) => {
      const file = this.deps.repos.files.get(fileId);
      if (!file) return []; // deleted through /v1/files: gone from the container too
      return [{ id: file.id, object: "container.file" as const, container_id: container.id, created_at: file.created_at, bytes: file.bytes, path: `/mnt/data/${file.filename}`, source: file.purpose === "assistants_output" ? ("assistant" as const) : ("user" as const) }];
    });
  }

  /** Takes a file out of the container (the uploaded file itself stays); false when it was not in it. */
  removeFile(id: string, fileId: string): boolean {
    const container = this.deps.repos.containers.get(id);
    if (!container || !container.file_ids.includes(fileId)) return false;
    this.deps.repos.containers.update({ ...container, file_ids: container.file_ids.filter((f) => f !== fileId) });
    return true;
  }

  private checkFiles(ids: readonly string[], param: string): void {
    ids.forEach((id, i) => {
      if (this.deps.repos.files.get(id) === null) throw badRequest(`No file found with id '${id}'.`, `${param}[${i}]`, "invalid_file_id");
    });
  }
}
