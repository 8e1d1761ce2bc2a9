/**
 * PDF pages rendered to PNG for OCR, in a worker thread (render-worker.mjs, pdf-parse's screenshot through
 * @napi-rs/canvas): a page takes ~0.1–0.9 s to draw and encode, which must not stall the API thread. One thread
 * serves every document being OCR'd (renders are several times faster than recognition, so it keeps ahead of the
 * Tesseract threads); it starts with the first page asked for and is stopped when idle.
 *
 * A render whose signal aborts while the thread is drawing it terminates the thread; the other documents' pages
 * waiting for it are sent again to a fresh thread (which opens their documents again), so stopping one file
 * never fails another. A crash fails the page being drawn only, the same way.
 */
import { WorkerHost, type WorkerCrashed } from "../../concurrency/worker-host.js";

const WORKER_ENTRY = new URL("./render-worker.mjs", import.meta.url);

export interface RenderedPage {
  /** PNG bytes (RGBA), owned by the caller. */
  png: Uint8Array;
  width: number;
  height: number;
}

export interface RenderedDocument {
  /** Page `page` (1-based) as an image. Aborting `signal` stops it (and, if it is being drawn, the thread). */
  render(page: number, signal: AbortSignal): Promise<RenderedPage>;
  /** Frees the document in the thread; renders still waiting fail. */
  close(): void;
}

export interface PageRendererOptions {
  /** Resolution pages are drawn at. */
  dpi: number;
  /** A page that would be larger is drawn smaller, to this many pixels. */
  maxPixels: number;
  /** The thread is stopped after this long without a page to draw. */
  idleMs: number;
}

type ToRenderer =
  | { type: "open"; doc: number; bytes: Uint8Array }
  | { type: "render"; doc: number; req: number; page: number; dpi: number; maxPixels: number }
  | { type: "close"; doc: number };

type FromRenderer =
  | { type: "ready" }
  | { type: "image"; req: number; png: Uint8Array; width: number; height: number }
  | { type: "error"; req: number; name: string; message: string };

interface Doc {
  id: number;
  bytes: Uint8Array;
  /** The thread generation the document was opened in (0: none yet). */
  openedIn: number;
}

interface Request {
  id: number;
  doc: Doc;
  page: number;
  resolve(page: RenderedPage): void;
  reject(error: unknown): void;
}

export class PageRenderer {
  private readonly host: WorkerHost<FromRenderer, ToRenderer>;
  /** Requests sent to the thread and not answered, in the order sent: the first is the one being drawn. */
  private readonly requests = new Map<number, Request>();
  /** Counts threads started: a document is opened again in each new one. */
  private generation = 0;
  private nextId = 1;

  constructor(private readonly options: PageRendererOptions) {
    this.host = new WorkerHost<FromRenderer, ToRenderer>({
      entry: WORKER_ENTRY,
      isReady: (msg) => msg.type === "ready",
      onMessage: (msg) => this.onMessage(msg),
      onCrash: (err) => this.crashed(err),
      idleMs: options.idleMs,
    });
  }

  /** Whether the render thread is running now. */
  get running(): boolean {
    return this.host.running;
  }

  /** A document to render pages of; the caller keeps `bytes` unchanged until it is closed. */
  open(bytes: Uint8Array): RenderedDocument {
    const doc: Doc = { id: this.nextId++, bytes, openedIn: 0 };
    let closed = false;
    return {
      render: (page, signal) => {
        if (closed) return Promise.reject(new Error("the document was closed"));
        return this.render(doc, page, signal);
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const request of [...this.requests.values()]) {
          if (request.doc === doc) this.settle(request).reject(new Error("the document was closed"));
        }
        if (doc.openedIn === this.generation && this.host.running) this.host.post({ type: "close", doc: doc.id });
        this.becomeIdle();
      },
    };
  }

  async close(): Promise<void> {
    for (const request of [...this.requests.values()]) this.settle(request).reject(new Error("the page renderer was closed"));
    await this.host.stop();
  }

  private render(doc: Doc, page: number, signal: AbortSignal): Promise<RenderedPage> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<RenderedPage>((resolve, reject) => {
      const onAbort = (): void => {
        const drawing = this.requests.keys().next().value === request.id;
        this.settle(request).reject(signal.reason);
        // Being drawn: only terminating the thread stops it. Queued behind others: its turn is skipped quickly
        // enough (the answer is dropped), no need to stop anyone else's page.
        if (drawing) this.restart();
      };
      const request: Request = {
        id: this.nextId++,
        doc,
        page,
        resolve: (p) => {
          signal.removeEventListener("abort", onAbort);
          resolve(p);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.requests.set(request.id, request);
      try {
        this.send(request);
      } catch (err) {
        this.settle(request).reject(err);
      }
    });
  }

  /** Sends `request` to the thread (starting one if none runs), opening its document there first if needed. */
  private send(request: Request): void {
    if (!this.host.running) this.generation++;
    this.host.busy();
    const { doc } = request;
    if (doc.openedIn !== this.generation) {
      // A copy, transferred: the caller keeps its bytes, and the copy moves without being copied again.
      const copy = new Uint8Array(doc.bytes);
      this.host.post({ type: "open", doc: doc.id, bytes: copy }, [copy.buffer]);
      doc.openedIn = this.generation;
    }
    this.host.post({ type: "render", doc: doc.id, req: request.id, page: request.page, dpi: this.options.dpi, maxPixels: this.options.maxPixels });
  }

  /** Terminates the thread and sends the requests still waiting to a fresh one. */
  private restart(): void {
    void this.host.stop();
    this.resend();
  }

  private resend(): void {
    for (const request of [...this.requests.values()]) {
      try {
        this.send(request);
      } catch (err) {
        this.settle(request).reject(err);
      }
    }
  }

  private onMessage(msg: FromRenderer): void {
    if (msg.type === "ready") return;
    const request = this.requests.get(msg.req);
    if (!request) return; // aborted or closed meanwhile
    const settled = this.settle(request);
    if (msg.type === "image") settled.resolve({ png: msg.png, width: msg.width, height: msg.height });
    else settled.reject(new Error(`could not render page ${request.page}: ${msg.message}`));
  }

  private crashed(err: WorkerCrashed): void {
    // The page being drawn took the thread down: it fails; the pages after it go to a fresh thread.
    const first = this.requests.values().next().value;
    if (first) {
      const reason = err.kind === "out_of_memory" ? "drawing it needs more memory than the renderer may use" : err.message;
      this.settle(first).reject(new Error(`could not render page ${first.page}: ${reason}`));
    }
    this.resend();
  }

  /** Takes `request` out of the waiting ones; returns it to be resolved or rejected. */
  private settle(request: Request): Request {
    this.requests.delete(request.id);
    this.becomeIdle();
    return request;
  }

  private becomeIdle(): void {
    if (this.requests.size === 0) this.host.idle();
  }
}
