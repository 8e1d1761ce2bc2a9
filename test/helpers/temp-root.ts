/**
 * Setup file (vitest.config.ts `setupFiles`): every temporary directory a test file makes lands under one root
 * of its own, removed when the file ends.
 *
 * Why a root and not each helper cleaning up after itself: test apps are closed and then reopened on the same
 * DATA_DIR (restart, encryption, recovery tests), so `close()` cannot remove it; and some fifty tests make
 * directories of their own with `fs.mkdtempSync(os.tmpdir())`. Left behind, the upload and bomb tests alone
 * filled /tmp with 1.5 GB a run, until CI failed on a full disk. `os.tmpdir()` reads TMPDIR on every call, so
 * pointing it here catches every one of them, and the child servers some tests spawn inherit it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const previous = process.env.TMPDIR;
const PREFIX = "la-tests-";
sweepOrphans(os.tmpdir());
const root = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
// Traversable by others: the cluster tests' throwaway PostgreSQL runs as the postgres user under it. What each
// test makes inside stays private (mkdtemp makes its directories 0700).
fs.chmodSync(root, 0o755);
process.env.TMPDIR = root;

const removeRoot = (): void => {
  if (process.env.TMPDIR === root) {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
};
// Vitest runs after-hooks in reverse order of registration ("stack"), and setup files register first: this runs
// after the test file's own afterAll hooks have closed its apps and servers. A file whose every test is skipped
// runs no hooks; the worker's exit removes its (empty) root.
afterAll(removeRoot);
process.once("exit", removeRoot);

/**
 * Vitest ends a worker by killing it, which runs no exit handler: a file whose tests were all skipped leaves an
 * empty root behind. Roots carry their worker's pid; the next file removes those of workers no longer alive.
 */
function sweepOrphans(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = name.startsWith(PREFIX) ? Number(/^(\d+)-/.exec(name.slice(PREFIX.length))?.[1]) : 0;
    if (!pid || pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // someone else's process: alive
  }
}
