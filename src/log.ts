/**
 * The server's log: JSON lines (pino) on stdout, one object per event, with the node that wrote it and, inside
 * a request or a run or response, its id (`request_id`, `run_id`, `response_id`), so the lines of several
 * nodes can be merged and followed. LOG_LEVEL sets how much (default info; debug adds every request).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { pino, type Logger } from "pino";

/** This process's name among several nodes (host, pid and a random part), in every line and every lease. */
export const NODE_NAME = `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

export type LogFields = Record<string, string | number>;
const context = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every line it (and what it starts) logs. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  const outer = context.getStore();
  return context.run(outer ? { ...outer, ...fields } : fields, fn);
}

/**
 * Where lines go. Tests swap `write` to read them (a pino destination is fixed when the logger is made); the
 * server writes each line to stdout as it comes (synchronously: a line is not lost when the process dies).
 */
export const logOutput: { write(line: string): void } = {
  write: (line) => void process.stdout.write(line),
};

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const log: Logger = pino(
  {
    level: "info",
    base: { node: NODE_NAME },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => context.getStore() ?? {},
  },
  { write: (line: string) => logOutput.write(line) },
);

/**
 * Runs work a timer or a signal from another node started (sweeps, claims, hand-overs): a failure, such as the
 * database gone for a moment, is logged and the next tick tries again; it never escapes to crash the process.
 */
export function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, `${what} failed`);
  }
}

export function setLogLevel(level: LogLevel): void {
  log.level = level;
}
