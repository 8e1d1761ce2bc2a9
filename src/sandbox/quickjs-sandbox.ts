/**
 * CodeSandbox on QuickJS in a pool of worker threads. The main thread only routes: each session is pinned to
 * one worker (its QuickJS context lives there), live sessions are bounded and expire when idle, and the
 * workers do all evaluation so the server's event loop never runs guest code.
 */
import { DEFAULT_LIMITS, MAX_STACK_BYTES } from "./limits.js";
import type { CodeSandbox, SandboxFile, SandboxLimits, SandboxResult, SandboxRunOptions } from "./types.js";
import { WorkerSlot } from "./worker-slot.js";

/** Tuning of a QuickJS sandbox; every field has a default. */
export interface QuickJsSandboxOptions {
  /** Worker threads, i.e. calls that can run at once (default 2). */
  poolSize?: number;
  /** Live sessions kept at once; the least recently used idle one is evicted beyond this (default 16). */
  maxSessions?: number;
  /** A session unused this long is freed (default 30 minutes). */
  sessionIdleMs?: number;
  /** Defaults for limits a call leaves out. */
  limits?: Partial<SandboxLimits>;
  /** Extra time past timeMs before the worker is terminated as a hard stop (default 1000 ms). */
  hardStopGraceMs?: number;
  /** Bytes of written files a session may hold (default 32 MiB). */
  maxFileBytes?: number;
  /** V8 heap cap of each worker, which holds the sessions' files (default 512 MiB). */
  workerHeapMb?: number;
  /** Clock for idle expiry; tests pass a fake one. */
  now?: () => number;
}

interface SessionEntry {
  slot: WorkerSlot;
  lastUsed: number;
  pending: number;
}

const MAX_NOTICES_PER_SESSION = 4;

class QuickJsSandbox implements CodeSandbox {
  private readonly slots: WorkerSlot[];
  /** Insertion order is recency order: a used session is moved to the end. */
  private readonly sessions = new Map<string, SessionEntry>();
  /** Why a session's state disappeared, told to the next call of that session. */
  private readonly notices = new Map<string, string>();
  private readonly defaults: SandboxLimits;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: QuickJsSandboxOptions) {
    this.defaults = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    const settings = {
      maxFileBytes: options.maxFileBytes ?? 32 * 1024 * 1024,
      spareModules: 1,
      defaultMemoryBytes: this.defaults.memoryBytes,
    };
    const slotOptions = {
      settings,
      hardStopGraceMs: options.hardStopGraceMs ?? 1_000,
      workerHeapMb: options.workerHeapMb ?? 512,
      onSessionsLost: (keys: string[], cause: string | null) => this.sessionsLost(keys, cause),
    };
    this.slots = Array.from({ length: Math.max(1, options.poolSize ?? 2) }, () => new WorkerSlot(slotOptions));
    // Workers start with the first call, not here: each costs ~40 MB of RSS, which a server whose assistants
    // never use code_interpreter should not pay; the first call waits ~250 ms for its worker once.
    const idleMs = this.idleMs();
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  async run(code: string, opts: SandboxRunOptions): Promise<SandboxResult> {
    if (this.closed) return { logs: "", error: "sandbox closed", files: [] };
    this.sweep();
    const limits = this.resolveLimits(opts.limits);
    const entry = this.route(opts.sessionKey);
    entry.pending++;
    try {
      const result = await entry.slot.run(opts.sessionKey, code, opts.files.map(compactFile), limits, opts.signal, opts.skipped ?? []);
      return this.withNotice(opts.sessionKey, result);
    } finally {
      entry.pending--;
      entry.lastUsed = this.now();
    }
  }

  end(sessionKey: string): void {
    const entry = this.sessions.get(sessionKey);
    this.notices.delete(sessionKey); // nothing to tell a session that no longer exists
    if (!entry) return;
    this.sessions.delete(sessionKey);
    // A call already running finishes first (the worker takes its messages in order); waiting ones do not run.
    entry.slot.end(sessionKey);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.sessions.clear();
    await Promise.all(this.slots.map((slot) => slot.close()));
  }

  /** Call limits over the defaults; a missing, zero or non-finite value falls back to the default. */
  private resolveLimits(limits: Partial<SandboxLimits> | undefined): SandboxLimits {
    const pick = (key: keyof SandboxLimits): number => {
      const value = limits?.[key];
      return value !== undefined && Number.isFinite(value) && value > 0 ? value : this.defaults[key];
    };
    return {
      timeMs: pick("timeMs"),
      memoryBytes: pick("memoryBytes"),
      stackBytes: Math.min(pick("stackBytes"), MAX_STACK_BYTES),
      outputBytes: pick("outputBytes"),
    };
  }

  /** The session's slot; a new session goes to the least loaded slot, evicting the oldest idle one if full. */
  private route(sessionKey: string): SessionEntry {
    const existing = this.sessions.get(sessionKey);
    if (existing) {
      this.sessions.delete(sessionKey);
      this.sessions.set(sessionKey, existing);
      return existing;
    }
    const slot = this.slots.reduce((best, s) => (s.load < best.load ? s : best));
    const entry: SessionEntry = { slot, lastUsed: this.now(), pending: 0 };
    this.sessions.set(sessionKey, entry);
    this.evictOverflow(sessionKey);
    return entry;
  }

  private evictOverflow(newKey: string): void {
    const max = this.options.maxSessions ?? 16;
    for (const [key, entry] of this.sessions) {
      if (this.sessions.size <= max) return;
      // A session with a call in flight (or about to start) is never evicted; the pool may briefly exceed max.
      if (entry.pending === 0 && key !== newKey) this.evict(key, entry, "it was evicted to make room for newer sessions");
    }
  }

  private sweep(): void {
    const cutoff = this.now() - this.idleMs();
    for (const [key, entry] of this.sessions) {
      if (entry.pending === 0 && entry.lastUsed < cutoff) {
        this.evict(key, entry, `it expired after ${formatDuration(this.idleMs())} unused`);
      }
    }
  }

  private evict(key: string, entry: SessionEntry, reason: string): void {
    this.sessions.delete(key);
    entry.slot.dispose(key);
    this.addNotice(key, reason);
  }

  private sessionsLost(keys: string[], cause: string | null): void {
    for (const key of keys) {
      // The culprit's own call already reports the loss in its error.
      if (key !== cause) this.addNotice(key, "another execution in its worker had to be force-stopped");
    }
  }

  private addNotice(key: string, reason: string): void {
    this.notices.delete(key);
    this.notices.set(key, reason);
    const max = (this.options.maxSessions ?? 16) * MAX_NOTICES_PER_SESSION;
    for (const oldest of this.notices.keys()) {
      if (this.notices.size <= max) break;
      this.notices.delete(oldest);
    }
  }

  private withNotice(sessionKey: string, result: SandboxResult): SandboxResult {
    const reason = this.notices.get(sessionKey);
    if (reason === undefined) return result;
    this.notices.delete(sessionKey);
    const note = `[sandbox] note: this session was reset because ${reason}; variables from earlier calls are gone.\n`;
    return { ...result, logs: note + result.logs };
  }

  private idleMs(): number {
    return this.options.sessionIdleMs ?? 30 * 60_000;
  }
}

/** Posting a view clones its whole underlying buffer (a Buffer may sit in a larger pool): send only its bytes. */
function compactFile(file: SandboxFile): SandboxFile {
  const { bytes } = file;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? file : { ...file, bytes: bytes.slice() };
}

function formatDuration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} seconds` : `${Math.round(ms / 60_000)} minutes`;
}

/** Creates a QuickJS sandbox; its worker threads start at once. Call close() when done. */
export function createQuickJsSandbox(options: QuickJsSandboxOptions = {}): CodeSandbox {
  return new QuickJsSandbox(options);
}
