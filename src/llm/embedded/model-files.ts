/**
 * Which GGUF file a model source means for the embedded engine, and getting it there: a path as given, a file
 * name looked up in the models folder, or a remote source (an `https://…/x.gguf` URL or an
 * `hf:<user>/<repo>/<file>.gguf` URI) downloaded once into the models folder on first use (or by
 * `npm run models:pull`), retried when a transfer breaks, with its progress visible, and checked to be a GGUF before it is used.
 * A file that is not there and cannot be fetched is a ModelError naming the file and where to put it.
 */
import fs from "node:fs";
import path from "node:path";
import { untilAborted } from "../call-lifetime.js";
import { ModelError } from "../chat-model.js";

export interface DownloadProgress {
  source: string;
  file: string;
  downloaded_bytes: number;
  total_bytes: number;
}

/** Whether a model name names a GGUF file or source itself (then it is used as is), rather than a public model name. */
export function isGgufName(name: string): boolean {
  return /\.gguf$/i.test(name) || isRemote(name);
}

/**
 * Whether a request may name this GGUF source. A request names a model, and a model name must never make the
 * server fetch a URL (requests to internal addresses, disks filled) or read a file elsewhere on the disk: only a
 * bare file name in the models folder, or a source the configuration itself names (EMBEDDED_CHAT_MODEL /
 * EMBEDDED_EMBEDDING_MODEL, which vector stores record).
 */
export function requestable(name: string, configured: readonly (string | null)[]): boolean {
  return configured.includes(name) || /^[\w][\w.+-]*\.gguf$/i.test(name);
}

/** The answer to a request naming a GGUF source it may not (see `requestable`). */
export function notRequestable(name: string, dir: string): ModelError {
  return new ModelError("model_not_found", `The model '${name}' cannot be used: a request may name a GGUF file in ${dir} by its file name, not a path or URL (the server's own models are set with EMBEDDED_CHAT_MODEL / EMBEDDED_EMBEDDING_MODEL).`);
}

function isRemote(source: string): boolean {
  return /^(https?:\/\/|hf:)/i.test(source);
}

export class ModelFiles {
  private readonly pending = new Map<string, Promise<string>>();
  private readonly progress = new Map<string, DownloadProgress>();

  constructor(
    readonly dir: string,
    /** A download that receives nothing for this long (a server that is down or stalled) fails. Default 30 s. */
    private readonly stallMs = 30_000,
  ) {}

  /** Where a source lives (or will, once downloaded) and whether it is there now. Touches no network. */
  where(source: string): { file: string; present: boolean; remote: boolean } {
    const remote = isRemote(source);
    const file = remote ? path.join(this.dir, remoteFileName(source))
      : path.isAbsolute(source) || source.includes("/") || source.includes(path.sep) ? path.resolve(source)
      : path.join(this.dir, source);
    return { file, present: fs.existsSync(file), remote };
  }

  /** The local file for a source, downloading it first if it is remote and not here yet (one download at a time per file). */
  async ensure(source: string): Promise<string> {
    const { file, present, remote } = this.where(source);
    // A download under way is not done until its file was checked, though the file may already have its name.
    const under = this.pending.get(file);
    if (under) return under;
    if (present) return file;
    if (!remote) {
      throw new ModelError("model_not_found", `The GGUF model file '${file}' does not exist: put the file in ${this.dir} (or give its path, an https:// URL or an hf: URI in EMBEDDED_CHAT_MODEL / EMBEDDED_EMBEDDING_MODEL).`);
    }
    let download = this.pending.get(file);
    if (!download) {
      download = this.download(source, file).finally(() => {
        this.pending.delete(file);
        this.progress.delete(file);
      });
      this.pending.set(file, download);
    }
    return download;
  }

  /** Downloads in progress (for /health and the Playground). */
  downloads(): DownloadProgress[] {
    return [...this.progress.values()];
  }

  /** Subscribers to progress (the models:pull command draws a bar). */
  onProgress: ((p: DownloadProgress) => void) | null = null;

  private async download(source: string, file: string): Promise<string> {
    const { createModelDownloader, readGgufFileInfo } = await import("node-llama-cpp");
    fs.mkdirSync(this.dir, { recursive: true });
    const name = path.basename(file);
    let downloaded: string;
    // The downloader retries a source that does not answer for as long as it takes: give up after a silence.
    const stalled = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const kick = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stalled.abort(new Error(`nothing received for ${this.stallMs / 1000} s`)), this.stallMs);
    };
    let downloader: Awaited<ReturnType<typeof createModelDownloader>> | null = null;
    try {
      kick();
      const creating = createModelDownloader({
        modelUri: source,
        dirPath: this.dir,
        fileName: name,
        skipExisting: true,
        deleteTempFileOnCancel: false, // its partial file stays for a later try
        onProgress: ({ totalSize, downloadedSize }) => {
          kick();
          const p = { source, file, downloaded_bytes: downloadedSize, total_bytes: totalSize };
          this.progress.set(file, p);
          this.onProgress?.(p);
        },
      });
      // Given up on before it was made: it is cancelled once it exists, so no retrying goes on behind our back.
      void creating.then(async (made) => {
        if (stalled.signal.aborted) await made.cancel({ deleteTempFile: false });
      }).catch(() => undefined);
      downloader = await untilAborted(creating, stalled.signal);
      downloaded = await untilAborted(downloader.download({ signal: stalled.signal }), stalled.signal);
      if (downloader.totalFiles === 1) trimToSize(downloaded, downloader.totalSize);
    } catch (err) {
      if (stalled.signal.aborted) void downloader?.cancel({ deleteTempFile: false }).catch(() => undefined);
      const why = stalled.signal.aborted ? (stalled.signal.reason as Error).message : err instanceof Error ? err.message : String(err);
      throw new ModelError("unreachable", `Could not download the model ${source} (${why}): with no network, put ${name} in ${this.dir} yourself.`);
    } finally {
      clearTimeout(timer);
    }
    try {
      await readGgufFileInfo(downloaded, { readTensorInfo: false, logWarnings: false });
    } catch (err) {
      fs.rmSync(downloaded, { force: true });
      throw new ModelError("http", `The file downloaded from ${source} is not a GGUF model (${err instanceof Error ? err.message : String(err)}); it was removed. Check the URL.`);
    }
    return downloaded;
  }
}

/**
 * Cuts what lies past `size` off a finished download. ipull keeps its progress record (a line of JSON) after the
 * bytes of the file it is writing, and cuts it off when done; but it saves that record without waiting, so under
 * load the record's write can land after the cut, and stayed at the end of the model file (a model that still
 * loads, with a file that is not the source's). Its writes are all done once download() has returned (ipull
 * closes the file first, which waits for them).
 */
function trimToSize(file: string, size: number): void {
  if (size <= 0 || fs.statSync(file).size <= size) return;
  fs.truncateSync(file, size);
}

/**
 * The file name a remote source is saved under: where it comes from and its own name, so two sources with the
 * same file name (two repositories' `model-q4_k_m.gguf`) never stand for each other: `hf:user/repo/x.gguf` is
 * `user_repo_x.gguf`, `https://host/path/x.gguf` is `host_x.gguf`.
 */
function remoteFileName(source: string): string {
  const bare = source.replace(/[?#].*$/, "");
  const parts = /^hf:/i.test(bare) ? bare.slice(3).split("/").filter(Boolean) : [new URL(bare).hostname, bare.split("/").filter(Boolean).at(-1) ?? "model"];
  const name = (parts.length > 2 ? [...parts.slice(0, 2), parts.at(-1)!] : parts).join("_").replace(/[^\w.+-]/g, "_");
  return /\.gguf$/i.test(name) ? name : `${name}.gguf`;
}
