/**
 * Profiles and figures of the reliability suite. `RELIABILITY_PROFILE=ci` runs fewer iterations (the CI
 * budget); anything else runs the full suite. Every suite prints one `RELIABILITY {...}` line at the end
 * (machine-readable: requests tried, faults injected, losses) and a short human table.
 */

export type Profile = "full" | "ci";

export const PROFILE: Profile = process.env.RELIABILITY_PROFILE === "ci" ? "ci" : "full";

/** The value for the current profile. */
export function byProfile<T>(full: T, ci: T): T {
  return PROFILE === "ci" ? ci : full;
}

/** A seed for fast-check, fixed per process so a failure can be replayed with RELIABILITY_SEED. */
export const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2_147_483_647);

/** Counters of one suite, printed once at the end. */
export class Figures {
  private readonly values = new Map<string, number | string | boolean | Record<string, number>>();
  private readonly started = performance.now();

  constructor(readonly suite: string) {}

  add(key: string, by = 1): void {
    const current = this.values.get(key);
    this.values.set(key, (typeof current === "number" ? current : 0) + by);
  }

  set(key: string, value: number | string | boolean | Record<string, number>): void {
    this.values.set(key, value);
  }

  get(key: string): number {
    const value = this.values.get(key);
    return typeof value === "number" ? value : 0;
  }

  /** Prints the figures; call in `afterAll` so they appear even when an assertion failed. */
  print(): void {
    const seconds = Math.round((performance.now() - this.started) / 100) / 10;
    const record = { suite: this.suite, profile: PROFILE, seed: SEED, duration_s: seconds, ...Object.fromEntries(this.values) };
    const width = Math.max(...Object.keys(record).map((k) => k.length));
    const table = Object.entries(record).map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
    console.log([`── reliability: ${this.suite} ──`, ...table, `RELIABILITY ${JSON.stringify(record)}`].join("\n"));
  }
}

/** Why `body` is not an error in OpenAI's shape (`{error: {message, type, param, code}}`), or null when it is. */
export function errorShapeProblem(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `error body is not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof body !== "object" || body === null || Object.keys(body).join() !== "error") return `not {error}: ${text.slice(0, 200)}`;
  const error = (body as { error: Record<string, unknown> }).error;
  if (typeof error !== "object" || error === null) return "error is not an object";
  if (Object.keys(error).sort().join() !== "code,message,param,type") return `error keys: ${Object.keys(error).join()}`;
  if (typeof error.message !== "string" || error.message === "") return "error.message is not a non-empty string";
  if (typeof error.type !== "string") return "error.type is not a string";
  if (error.param !== null && typeof error.param !== "string") return "error.param is not string|null";
  if (error.code !== null && typeof error.code !== "string") return "error.code is not string|null";
  return null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs: number, what: string, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const TERMINAL_RUN = new Set(["completed", "failed", "cancelled", "expired", "incomplete"]);

/** Counts every request an in-process app receives (the SDK client and `request()` both call `app.request`). */
export function countRequests(app: { request: (...args: never[]) => unknown }, figures: Figures, key = "requests_tried"): void {
  const request = app.request.bind(app) as (...args: never[]) => unknown;
  app.request = (...args: never[]) => {
    figures.add(key);
    return request(...args);
  };
}
