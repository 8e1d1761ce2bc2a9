/**
 * The OCR engine: a pool of `workers` Tesseract threads (tesseract-thread.ts) shared by every file being read.
 * Recognitions wait in one AsyncQueue; a dispatch loop hands each to the next free thread (free threads wait in
 * a second AsyncQueue), so each thread recognizes one image at a time and the queue is first come, first served
 * across files. A recognition whose signal aborts while queued is dropped; one that aborts while running
 * terminates its thread (tesseract-thread.ts), which the next recognition starts afresh.
 */
import fs from "node:fs/promises";
import { AsyncQueue } from "../../concurrency/async-queue.js";
import { ConfigError } from "../../config.js";
import type { OcrLanguage } from "./languages.js";
import { TESSERACT_JS_MAJOR, TesseractThread, tesseractJsVersion, type LanguageData } from "./tesseract-thread.js";

export interface OcrEngineOptions {
  languages: OcrLanguage[];
  /** Tesseract threads (OCR_WORKERS). */
  workers: number;
  /** A thread without work is stopped after this long (default 60 s). */
  idleMs?: number;
}

interface Job {
  image: Uint8Array;
  signal: AbortSignal;
  onProgress: ((fraction: number) => void) | undefined;
  settled: boolean;
  resolve(text: string): void;
  reject(error: unknown): void;
}

const IDLE_MS = 60_000;

export class OcrEngine {
  private readonly threads: TesseractThread[];
  private readonly jobs = new AsyncQueue<Job>();
  private readonly free = new AsyncQueue<TesseractThread>();
  private trainedData: Promise<LanguageData[]> | null = null;
  private closed = false;

  constructor(private readonly options: OcrEngineOptions) {
    const version = tesseractJsVersion();
    if (Number(version.split(".")[0]) !== TESSERACT_JS_MAJOR) {
      throw new ConfigError(`tesseract.js ${version} is installed; this server's OCR speaks the worker protocol of tesseract.js ${TESSERACT_JS_MAJOR}: install tesseract.js@${TESSERACT_JS_MAJOR}.`);
    }
    const idleMs = options.idleMs ?? IDLE_MS;
    this.threads = Array.from({ length: Math.max(1, options.workers) }, () => new TesseractThread({ languages: () => this.languages(), idleMs }));
    for (const thread of this.threads) this.free.push(thread);
    void this.dispatch();
  }

  /** Tesseract threads in the pool. */
  get size(): number {
    return this.threads.length;
  }

  /** How many Tesseract threads are running now (they start with work and stop when idle). */
  get threadsRunning(): number {
    return this.threads.filter((t) => t.running).length;
  }

  /**
   * The text in `image` (PNG, JPEG or TIFF bytes, whose size the caller checked), once a thread is free and has
   * read it. Aborting `signal` drops the job, or stops its thread if it is running; it then throws the reason.
   */
  recognize(image: Uint8Array, signal: AbortSignal, onProgress?: (fraction: number) => void): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.closed) return reject(new Error("the OCR engine was closed"));
      if (signal.aborted) return reject(signal.reason);
      const job: Job = { image, signal, onProgress, settled: false, resolve: () => {}, reject: () => {} };
      const onAbort = (): void => settle(() => reject(signal.reason));
      const settle = (fn: () => void): void => {
        if (job.settled) return;
        job.settled = true;
        signal.removeEventListener("abort", onAbort);
        fn();
      };
      job.resolve = (text) => settle(() => resolve(text));
      job.reject = (err) => settle(() => reject(err));
      signal.addEventListener("abort", onAbort, { once: true });
      this.jobs.push(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.jobs.close();
    this.free.close();
    await Promise.all(this.threads.map((t) => t.stop(new Error("the OCR engine was closed"))));
  }

  /** Hands each queued job to the next free thread; jobs settled meanwhile (aborted) are skipped. */
  private async dispatch(): Promise<void> {
    for (;;) {
      const job = await this.jobs.next();
      if (job.done) return;
      if (job.value.settled) continue;
      const thread = await this.free.next();
      if (thread.done) return job.value.reject(new Error("the OCR engine was closed"));
      if (job.value.settled) {
        this.free.push(thread.value);
        continue;
      }
      void this.run(thread.value, job.value);
    }
  }

  private async run(thread: TesseractThread, job: Job): Promise<void> {
    try {
      job.resolve(await thread.recognize(job.image, job.signal, job.onProgress));
    } catch (err) {
      job.reject(err);
    } finally {
      this.free.push(thread);
    }
  }

  /** The languages' gzipped trained data, read from node_modules once (a few MB per language). */
  private languages(): Promise<LanguageData[]> {
    if (!this.trainedData) {
      const reading = Promise.all(this.options.languages.map(async (l) => ({ code: l.code, data: new Uint8Array(await fs.readFile(l.file)) })));
      reading.catch(() => (this.trainedData = null)); // a failed read is tried again by the next thread start
      this.trainedData = reading;
    }
    return this.trainedData;
  }
}
