import { logOutput } from "../../src/log.js";

/** The server's log lines (parsed JSON) from now until `stop()`; they are not printed meanwhile. */
export function captureLog(): { lines: () => Record<string, unknown>[]; stop: () => void } {
  const previous = logOutput.write;
  const lines: Record<string, unknown>[] = [];
  logOutput.write = (line) => void lines.push(JSON.parse(line) as Record<string, unknown>);
  return { lines: () => lines, stop: () => void (logOutput.write = previous) };
}
