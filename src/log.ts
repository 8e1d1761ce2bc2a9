/**
 * The server's log: JSON lines (pino) on stdout, one object per event, with the node that wrote it and the id
 * of what it is about (`request_id`, `run_id`, `response_id`, `vector_store_id`, …), so the lines of several
 * nodes can be merged and followed. LOG_LEVEL sets how much (default info; debug adds every request).
 *
 * The ids are given at each call, not carried by an AsyncLocalStorage around a run: on Node 20 one in use turns
 * on promise hooks for the whole process, and after the first run every GET lost 30 % of its throughput
 * (measured, 23–28 k against 17–18 k req/s).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { pino, type Logger } from "pino";

/** This process's name among several nodes (host, pid and a random part), in every line and every lease. */
export const NODE_NAME = `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

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
