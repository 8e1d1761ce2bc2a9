import fs from "node:fs/promises";
import path from "node:path";
import { isOurId } from "../ids.js";

/**
 * Uploaded bytes on disk under `<dataDir>/files/<file id>`. The path comes only from ids we minted,
 * never from the uploaded file name, so a name like `../../etc/passwd` cannot escape the folder.
 */
export class BlobStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, "files");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  /** Writes to a temporary name, then renames, so a crash never leaves a half-written blob under the id. */
  async write(fileId: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(fileId);
    const temp = `${target}.partial`;
    await fs.writeFile(temp, bytes);
    await fs.rename(temp, target);
  }

  async read(fileId: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(fileId));
  }

  async remove(fileId: string): Promise<void> {
    await fs.rm(this.pathOf(fileId), { force: true });
  }

  private pathOf(fileId: string): string {
    if (!isOurId(fileId, "file-")) throw new Error(`not a file id: ${JSON.stringify(fileId)}`);
    return path.join(this.dir, fileId);
  }
}

/** A display name safe to store and echo back: last path segment, no control characters, bounded length. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 255);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "upload" : cleaned;
}
