import type { Run } from "../api/wire.js";
import type { Clock } from "../clock.js";
import { allProjects, inProject } from "../store/project-scope.js";
import type { RunsRepo } from "../store/runs-repo.js";
import type { RunExecutor } from "./executor.js";
import type { RunRecorder } from "./recorder.js";
import { ServerShutdown } from "./state.js";

/**
 * Runs queued runs with bounded concurrency, one AbortController each. Also ends what nobody will finish:
 * runs a crash left behind (at boot) and runs whose expiry passed (swept every second).
 *
 * A run executes in its own project (store/project-scope.ts), entered here from its row: a queued run is
 * started by whichever run ended before it (another project's, perhaps), and the sweep by a timer.
 */
export class RunEngine {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: { runs: RunsRepo; recorder: RunRecorder; executor: RunExecutor; clock: Clock; concurrency: number },
  ) {}

  /** Ends runs a previous process left unfinished, then starts the expiry sweep. Call once at boot. */
  start(): void {
    allProjects(() => this.recover());
    this.sweeper = setInterval(() => allProjects(() => this.sweepExpired()), 1000);
    this.sweeper.unref();
  }

  enqueue(runId: string): void {
    if (this.closed) return;
    this.queue.push(runId);
    this.pump();
  }

  /**
   * Cancels a run: a queued or waiting run ends at once; a running one is marked `cancelling` and its model
   * stream aborted, and the executor records `cancelled` as it unwinds.
   */
  cancel(run: Run): Run {
    const active = this.running.get(run.id);
    if (active) {
      const cancelling = this.deps.recorder.setStatus(run.id, "cancelling");
      active.controller.abort();
      return cancelling;
    }
    const index = this.queue.indexOf(run.id);
    if (index !== -1) this.queue.splice(index, 1);
    this.deps.recorder.closeOpenSteps(run.id, "cancelled");
    return this.deps.recorder.endRun(run.id, "cancelled");
  }

  /** Aborts the run holding a thread that is being deleted. */
  abortThread(threadId: string): void {
    const active = this.deps.runs.activeForThread(threadId);
    if (active) this.running.get(active.id)?.controller.abort();
  }

  /**
   * Stops accepting work. Waiting and running runs end `failed` (server_error) — as boot recovery would
   * end them — rather than `cancelled`: nobody cancelled them.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const shutdown = new ServerShutdown();
    for (const runId of this.queue.splice(0)) {
      this.inRunProject(runId, () => this.deps.recorder.setStatus(runId, "failed", { last_error: { code: "server_error", message: shutdown.message } }));
    }
    const pending = [...this.running.values()];
    for (const r of pending) r.controller.abort(shutdown);
    await Promise.all(pending.map((r) => r.done));
  }

  /** Runs that are waiting (queued or requires_action) past `expires_at` end `expired`. */
  sweepExpired(): void {
    const now = this.deps.clock();
    for (const run of this.deps.runs.unfinished()) {
      if ((run.status === "queued" || run.status === "requires_action") && run.expires_at !== null && run.expires_at <= now && !this.running.has(run.id)) {
        const index = this.queue.indexOf(run.id);
        if (index !== -1) this.queue.splice(index, 1);
        this.inRunProject(run.id, () => {
          this.deps.recorder.closeOpenSteps(run.id, "expired");
          this.deps.recorder.setStatus(run.id, "expired");
        });
      }
    }
  }

  private pump(): void {
    while (this.running.size < this.deps.concurrency && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      const controller = new AbortController();
      const done = this.inRunProject(runId, () => this.deps.executor.execute(runId, controller.signal))
        .catch((err: unknown) => console.error(`run ${runId}: executor crashed:`, err))
        .finally(() => {
          this.running.delete(runId);
          this.pump();
        });
      this.running.set(runId, { controller, done });
    }
  }

  /** No run survives a restart half-done: nobody is streaming it and its model call is gone. */
  private recover(): void {
    for (const run of this.deps.runs.unfinished()) {
      if (run.status === "requires_action") continue; // still waiting for the client; the sweep expires it
      this.inRunProject(run.id, () => this.endAfterCrash(run));
    }
  }

  private endAfterCrash(run: Run): void {
    const { recorder } = this.deps;
    recorder.closeOpenSteps(run.id, "failed", { code: "server_error", message: "The server restarted during this step." });
    for (const message of recorder.openMessages(run.id)) recorder.finishMessage(message, textOf(message), "run_failed");
    if (run.status === "cancelling") recorder.setStatus(run.id, "cancelled");
    else {
      recorder.setStatus(run.id, "failed", {
        last_error: { code: "server_error", message: "The server stopped while this run was active (crash or restart). Create a new run to try again." },
      });
    }
  }

  /** Runs `fn` in the run's project, read from its row (all projects if the row is gone). */
  private inRunProject<T>(runId: string, fn: () => T): T {
    const project = this.deps.runs.projectOf(runId);
    return project === null ? allProjects(fn) : inProject(project, fn);
  }
}

function textOf(message: { content: { type: string; text?: { value: string } }[] }): string {
  return message.content.map((p) => p.text?.value ?? "").join("");
}
