/**
 * OCR for search: the text of images (PNG, JPEG, TIFF) and of PDF pages without a text layer, for extract-text.ts
 * to hand to ingestion like any other page. Images are checked from their header before anything decodes them
 * (image-header.ts); PDF pages are drawn in the render thread (page-renderer.ts) while the Tesseract threads
 * (ocr-engine.ts) read the ones before, so on two CPUs rendering overlaps recognition.
 *
 * Limits, each failing its file only with an OcrError naming the variable: pages of one PDF needing OCR
 * (OCR_MAX_PAGES, checked before any page is drawn), one file's OCR time (OCR_TIMEOUT_SECONDS: the threads are
 * stopped), an image's pixels (OCR_MAX_MEGAPIXELS, from the header; a PDF page larger than that is drawn smaller).
 * Aborting the caller's signal (the file removed, its batch cancelled) stops the OCR the same way.
 */
import { OcrEngine } from "./ocr-engine.js";
import { describeSize, ImageHeaderError, readImageHeader } from "./image-header.js";
import { resolveLanguages } from "./languages.js";
import { PageRenderer, type RenderedPage } from "./page-renderer.js";
import { TesseractError } from "./tesseract-thread.js";

/** A file OCR could not read, or a limit it hit; `message` says why and what to do. */
export class OcrError extends Error {
  override readonly name = "OcrError";
}

export interface OcrOptions {
  /** Tesseract language codes; each needs its package @tesseract.js-data/<code>. */
  languages: readonly string[];
  /** Tesseract threads. */
  workers: number;
  /** Most pages of one PDF that need OCR. */
  maxPages: number;
  /** Longest one file's OCR may take. */
  timeoutMs: number;
  /** Largest image OCR reads, in pixels; PDF pages are drawn at most this large. */
  maxPixels: number;
  /** Resolution PDF pages are drawn at (default RENDER_DPI). */
  dpi?: number;
  /** Threads without work are stopped after this long (default 60 s). */
  idleMs?: number;
}

/** One page of text: `page` is the PDF's 1-based page number. */
export interface OcrPage {
  page: number;
  text: string;
}

/** A file being OCR'd now. */
export interface OcrProgress {
  kind: "pdf" | "image";
  /** Pages (images) recognized so far, of `pagesTotal` that need OCR. */
  pagesDone: number;
  pagesTotal: number;
}

export interface OcrStats {
  /** PDF pages recognized since the server started. */
  pagesRecognized: number;
  /** Image files recognized since the server started. */
  imagesRecognized: number;
  /** Files being OCR'd now. */
  active: OcrProgress[];
}

/**
 * 200 dpi: Tesseract wants letters ~20 px high or more; 10-point text drawn at 200 dpi is ~28 px from ascender to
 * descender (at 150 it read body text as well, with more slips on small print), and a US-letter page is ~3.7 MP.
 */
export const RENDER_DPI = 200;

const IDLE_MS = 60_000;

/** Letters or digits: what makes a page's text worth indexing (the same test extract-text.ts applies). */
export function hasText(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

export class OcrReader {
  private readonly engine: OcrEngine;
  private readonly renderer: PageRenderer;
  private readonly progress = new Set<OcrProgress>();
  private pages = 0;
  private images = 0;

  /** @throws ConfigError when a language's package is not installed */
  constructor(private readonly options: OcrOptions) {
    const languages = resolveLanguages(options.languages);
    const idleMs = options.idleMs ?? IDLE_MS;
    this.engine = new OcrEngine({ languages, workers: options.workers, idleMs });
    this.renderer = new PageRenderer({ dpi: options.dpi ?? RENDER_DPI, maxPixels: options.maxPixels, idleMs });
  }

  /** What OCR has done, and the files it is reading now (pages done of pages to do). */
  stats(): OcrStats {
    return { pagesRecognized: this.pages, imagesRecognized: this.images, active: [...this.progress].map((p) => ({ ...p })) };
  }

  /** How many threads (Tesseract and the renderer) are running now. */
  get threadsRunning(): number {
    return this.engine.threadsRunning + (this.renderer.running ? 1 : 0);
  }

  /**
   * A parsed PDF's pages (`pages`, in order) with OCR'd text for those without a text layer. Pages pass through
   * as they come until the first one without text; from there on the rest of the parse is kept (text is small,
   * and the PDF parser is free for other files sooner), then the pages needing OCR are drawn and read in order.
   * @throws OcrError; the caller's signal's reason when it aborts
   */
  async *withOcr(pages: AsyncIterable<OcrPage>, bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<OcrPage> {
    const held: OcrPage[] = [];
    for await (const page of pages) {
      if (held.length === 0 && hasText(page.text)) yield page;
      else held.push(page);
    }
    if (held.length === 0) return;
    const read = this.pdfPages(bytes, held.filter((p) => !hasText(p.text)).map((p) => p.page), signal);
    try {
      for (const page of held) {
        if (hasText(page.text)) {
          yield page;
          continue;
        }
        const next = await read.next();
        yield { page: page.page, text: next.done ? "" : next.value.text };
      }
    } finally {
      await read.return(undefined);
    }
  }

  /**
   * The text of the PDF's pages `pages` (1-based, rising), each drawn and recognized, in order.
   * @throws OcrError; the caller's signal's reason when it aborts
   */
  async *pdfPages(bytes: Uint8Array, pages: readonly number[], signal?: AbortSignal): AsyncGenerator<OcrPage> {
    if (pages.length === 0) return;
    const { maxPages } = this.options;
    if (pages.length > maxPages) {
      throw new OcrError(`the PDF has ${pages.length} pages without a text layer, more than the ${maxPages} OCR reads in one file (OCR_MAX_PAGES): split it into smaller files, or raise OCR_MAX_PAGES`);
    }
    const scope = this.scope(signal);
    const doc = this.renderer.open(bytes);
    const progress = this.track("pdf", pages.length);
    // Each Tesseract thread gets a page, and the renderer draws one more ahead.
    const inFlight = this.engine.size;
    const drawn = new Map<number, Promise<RenderedPage>>();
    const read = new Map<number, Promise<string>>();
    const draw = (i: number): Promise<RenderedPage> => started(drawn, i, () => doc.render(pages[i]!, scope.signal));
    const recognize = (i: number): Promise<string> => started(read, i, () => draw(i).then((image) => this.engine.recognize(image.png, scope.signal)));
    try {
      for (let i = 0; i < pages.length; i++) {
        for (let j = i; j < Math.min(pages.length, i + inFlight + 1); j++) draw(j);
        for (let j = i; j < Math.min(pages.length, i + inFlight); j++) recognize(j);
        const text = await recognize(i);
        drawn.delete(i);
        read.delete(i);
        this.pages += 1;
        progress.pagesDone += 1;
        yield { page: pages[i]!, text: cleanOcrText(text) };
      }
    } catch (err) {
      throw this.failure(err, scope.signal, signal);
    } finally {
      scope.end(); // stops whatever is still drawn or read (left early: aborted, failed, or the reader stopped)
      doc.close();
      this.progress.delete(progress);
    }
  }

  /**
   * The text of an image file (PNG, JPEG, TIFF). Its header is checked first: a damaged one, several TIFF
   * pages or more than OCR_MAX_MEGAPIXELS fail at once, before anything is decoded.
   * @throws OcrError; the caller's signal's reason when it aborts
   */
  async image(bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    let header;
    try {
      header = readImageHeader(bytes);
    } catch (err) {
      if (err instanceof ImageHeaderError) throw new OcrError(err.message);
      throw err;
    }
    if (header === null) throw new OcrError("not an image OCR reads: upload PNG, JPEG or TIFF");
    if (header.pages > 1) {
      throw new OcrError("the TIFF holds more than one page, and OCR reads single-page TIFFs only: convert it to a PDF (one image per page) and upload that");
    }
    const { maxPixels } = this.options;
    if (header.width * header.height > maxPixels) {
      throw new OcrError(
        `the image is ${describeSize(header.width, header.height)}, more than the ${maxPixels / 1e6} megapixels OCR reads (OCR_MAX_MEGAPIXELS): scale it down, or raise OCR_MAX_MEGAPIXELS`,
      );
    }
    const scope = this.scope(signal);
    const progress = this.track("image", 1);
    try {
      const text = await this.engine.recognize(bytes, scope.signal);
      this.images += 1;
      progress.pagesDone = 1;
      return cleanOcrText(text);
    } catch (err) {
      throw this.failure(err, scope.signal, signal);
    } finally {
      scope.end();
      this.progress.delete(progress);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.engine.close(), this.renderer.close()]);
  }

  private track(kind: OcrProgress["kind"], pagesTotal: number): OcrProgress {
    const progress: OcrProgress = { kind, pagesDone: 0, pagesTotal };
    this.progress.add(progress);
    return progress;
  }

  /**
   * One file's OCR: a signal that aborts with the caller's (same reason), at the time limit (an OcrError naming
   * OCR_TIMEOUT_SECONDS), or at `end()` (whatever is still running is stopped).
   */
  private scope(caller?: AbortSignal): { signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    const seconds = Math.round(this.options.timeoutMs / 100) / 10;
    const timer = setTimeout(() => {
      controller.abort(new OcrError(`OCR took longer than ${seconds} s (OCR_TIMEOUT_SECONDS): split the file into smaller ones, or raise OCR_TIMEOUT_SECONDS`));
    }, this.options.timeoutMs);
    timer.unref();
    const onAbort = (): void => controller.abort(caller!.reason);
    if (caller?.aborted) onAbort();
    else caller?.addEventListener("abort", onAbort, { once: true });
    return {
      signal: controller.signal,
      end: () => {
        clearTimeout(timer);
        caller?.removeEventListener("abort", onAbort);
        controller.abort(new Error("OCR stopped"));
      },
    };
  }

  /** What a failure is reported as: the caller's abort reason as is, the time limit, or an OcrError. */
  private failure(err: unknown, scoped: AbortSignal, caller?: AbortSignal): unknown {
    if (caller?.aborted) return caller.reason;
    if (scoped.aborted && scoped.reason instanceof OcrError) return scoped.reason;
    if (err instanceof OcrError) return err;
    if (err instanceof TesseractError) return new OcrError(err.message);
    if (err instanceof Error && err.message.startsWith("could not render page")) return new OcrError(`${err.message} (is the PDF complete and not corrupted?)`);
    return err;
  }
}

/** The promise for index `i` in `map`, started by `start` the first time. Its rejection is awaited later. */
function started<T>(map: Map<number, Promise<T>>, i: number, start: () => Promise<T>): Promise<T> {
  let promise = map.get(i);
  if (!promise) {
    promise = start();
    promise.catch(() => undefined); // (awaited in turn; a page never reached must not be an unhandled rejection)
    map.set(i, promise);
  }
  return promise;
}

/**
 * Tesseract's text tidied as pdf-pages.mjs tidies a text layer: words hyphenated across a line end rejoined,
 * runs of spaces collapsed, blank lines between paragraphs kept (one), no trailing spaces.
 */
export function cleanOcrText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/(\p{Ll})-\n(\p{Ll})/gu, "$1$2")
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
