/**
 * One tesseract.js worker thread, hosted by WorkerHost (lazy start, idle stop, crashes reported once), speaking
 * tesseract.js 7's worker protocol: the thread runs tesseract.js's own Node worker script
 * (`tesseract.js/src/worker-script/node/index.js`: Tesseract's WebAssembly build, image decoding, recognition);
 * this side is the small client that `createWorker` would be, written here for three reasons:
 *
 * - the trained data goes to the thread from memory (read from node_modules, see languages.ts), with
 *   `cacheMethod: "none"`: no download, no cache file. `createWorker` takes in-memory data but then initializes
 *   Tesseract with the data's bytes as the language name (tesseract.js PR #1052, open), and one `langPath`
 *   cannot name several language packages;
 * - a thread that crashes or must be stopped is WorkerHost's to handle: `createWorker` neither listens for its
 *   thread's errors (an uncaught one would take the server down) nor settles when initialization fails;
 * - cancelling a recognition terminates the thread (Tesseract cannot be interrupted otherwise); the next
 *   recognition starts a fresh one.
 *
 * The message shapes below are tesseract.js 7's (`createWorker.js` / `worker-script/index.js`): each request
 * `{workerId, jobId, action, payload}` is answered by `progress` messages and one `resolve` or `reject`.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { WorkerHost, type WorkerCrashed } from "../../concurrency/worker-host.js";

const require = createRequire(import.meta.url);

/** tesseract.js's Node worker script: the thread's entry. */
const WORKER_ENTRY = pathToFileURL(require.resolve("tesseract.js/src/worker-script/node/index.js"));
/** tesseract.js's OEM.LSTM_ONLY: the neural recognizer (its default), for which the `_best_int` data is made. */
const OEM_LSTM_ONLY = 1;

/** The tesseract.js major version whose worker protocol this client speaks. */
export const TESSERACT_JS_MAJOR = 7;

/** The installed tesseract.js's version (package.json). */
export function tesseractJsVersion(): string {
  return (require("tesseract.js/package.json") as { version: string }).version;
}

export interface LanguageData {
  code: string;
  /** The gzipped .traineddata (the thread inflates it). */
  data: Uint8Array;
}

type Action = "load" | "loadLanguage" | "initialize" | "recognize";

interface ToTesseract {
  workerId: string;
  jobId: string;
  action: Action;
  payload: unknown;
}

interface FromTesseract {
  jobId: string;
  action: string;
  status: "resolve" | "reject" | "progress";
  data: unknown;
}

interface Call {
  resolve(data: unknown): void;
  reject(error: unknown): void;
  onProgress?: ((fraction: number) => void) | undefined;
}

export interface TesseractThreadOptions {
  /** The languages' trained data; read once by the engine, a copy goes to each thread it starts. */
  languages(): Promise<LanguageData[]>;
  /** The thread (~100–200 MB with English loaded) is stopped after this long without a recognition. */
  idleMs: number;
}

/** Why a recognition failed inside Tesseract (a broken image, the engine out of memory…). */
export class TesseractError extends Error {
  override readonly name = "TesseractError";
}

let threadCounter = 0;

export class TesseractThread {
  private readonly host: WorkerHost<FromTesseract, ToTesseract>;
  private readonly calls = new Map<string, Call>();
  /** Loaded and initialized with the languages; null: not yet, or the thread was stopped since. */
  private ready: Promise<void> | null = null;
  private readonly workerId = `ocr-${++threadCounter}`;
  private nextJob = 0;

  constructor(private readonly options: TesseractThreadOptions) {
    this.host = new WorkerHost<FromTesseract, ToTesseract>({
      entry: WORKER_ENTRY,
      onMessage: (msg) => this.onMessage(msg),
      onCrash: (err) => this.crashed(err),
      idleMs: options.idleMs,
    });
  }

  /** Whether the thread is running now (it starts with the first recognition and stops when idle). */
  get running(): boolean {
    return this.host.running;
  }

  /**
   * The text Tesseract reads in `image` (PNG, JPEG, TIFF bytes; the caller keeps them: a copy is sent).
   * Aborting `signal` terminates the thread at once and throws the signal's reason.
   */
  async recognize(image: Uint8Array, signal: AbortSignal, onProgress?: (fraction: number) => void): Promise<string> {
    signal.throwIfAborted();
    const stop = (): void => void this.stop(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
    try {
      if (!this.host.running) this.ready = null; // stopped for idleness since
      this.host.busy();
      await (this.ready ??= this.initialize());
      const copy = new Uint8Array(image);
      const result = await this.call("recognize", { image: copy, options: {}, output: { text: true } }, [copy.buffer], onProgress);
      return typeof (result as { text?: unknown })?.text === "string" ? (result as { text: string }).text : "";
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      // Tesseract's state after a failure (an out-of-memory abort inside WebAssembly, say) is not to be trusted.
      void this.stop(err);
      throw err;
    } finally {
      signal.removeEventListener("abort", stop);
      this.host.idle();
    }
  }

  /** Terminates the thread; calls in flight fail with `reason`. */
  async stop(reason: unknown = new Error("the OCR thread was stopped")): Promise<void> {
    this.ready = null;
    this.rejectAll(reason);
    await this.host.stop();
  }

  private async initialize(): Promise<void> {
    const languages = await this.options.languages();
    await this.call("load", { options: { lstmOnly: true, logging: false } });
    const langs = languages.map((l) => ({ code: l.code, data: new Uint8Array(l.data) }));
    await this.call(
      "loadLanguage",
      { langs, options: { cacheMethod: "none", gzip: true, lstmOnly: true } },
      langs.map((l) => l.data.buffer),
    );
    await this.call("initialize", { langs: languages.map((l) => l.code).join("+"), oem: OEM_LSTM_ONLY, config: {} });
  }

  private call(action: Action, payload: unknown, transfer: ArrayBuffer[] = [], onProgress?: (fraction: number) => void): Promise<unknown> {
    const jobId = `${action}-${++this.nextJob}`;
    return new Promise((resolve, reject) => {
      this.calls.set(jobId, { resolve, reject, onProgress });
      try {
        this.host.post({ workerId: this.workerId, jobId, action, payload }, transfer);
      } catch (err) {
        this.calls.delete(jobId);
        reject(err);
      }
    });
  }

  private onMessage(msg: FromTesseract): void {
    const call = this.calls.get(msg.jobId);
    if (!call) return; // (initialize sends progress after a reject)
    if (msg.status === "progress") {
      const data = msg.data as { status?: string; progress?: number } | undefined;
      if (data?.status === "recognizing text" && typeof data.progress === "number") call.onProgress?.(data.progress);
      return;
    }
    this.calls.delete(msg.jobId);
    if (msg.status === "resolve") call.resolve(msg.data);
    else call.reject(new TesseractError(describeFailure(msg.action, msg.data)));
  }

  private crashed(err: WorkerCrashed): void {
    this.ready = null;
    this.rejectAll(new TesseractError(err.kind === "out_of_memory" ? "the OCR engine ran out of memory" : `the OCR engine stopped: ${err.message}`));
  }

  private rejectAll(reason: unknown): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(reason);
  }
}

function describeFailure(action: string, data: unknown): string {
  const detail = String(data).replace(/^Error:\s*/, "");
  if (action === "recognize") {
    if (/read image/i.test(detail)) return "Tesseract could not decode the image (is the file complete and not corrupted?)";
    if (/OOM|memory/i.test(detail)) return "the OCR engine ran out of memory on this image: scale it down";
    return `Tesseract failed: ${detail}`;
  }
  return `the OCR engine could not start (${action}: ${detail})`;
}
