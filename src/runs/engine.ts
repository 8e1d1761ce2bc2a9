import type { Run } from "../api/wire.js";
import type { Clock } from "../clock.js";
import type { ClusterSignals } from "../cluster/signals.js";
import type { WorkLeases } from "../cluster/work-leases.js";
import { ApiError } from "../errors.js";
import { allProjects, inProject, projectsIsolated } from "../store/project-scope.js";
import type { RunsRepo } from "../store/runs-repo.js";
import type { RunExecutor } from "./executor.js";
import type { RunRecorder } from "./recorder.js";
import type { FreshRun } from "./request-plan.js";
import { isTerminal, ServerShutdown } from "./state.js";
import { guarded, log } from "../log.js";
import type { MetricsSink } from "../metrics.js";

/** How often a node that takes queued runs looks for them (ROLE=worker or all, on a shared store). */
const CLAIM_POLL_MS = 200;

/**
 * Runs queued runs with bounded concurrency, one AbortController each. Also ends what nobody will finish:
 * runs a crash left behind (at boot) and runs whose expiry passed (swept every second).
 *
 * A run executes in its own project (store/project-scope.ts), entered here from its row: a queued run is
 * started by whichever run ended before it (another project's, perhaps), and the sweep by a timer.
 *
 * Several processes may share the store (PostgreSQL): a run is executed by the node holding its lease
 * (cluster/work-leases.ts), taken before the write that makes it runnable (`admit`) and given back when the
 * execution ends. A run whose node died (its lease lapsed) is ended by whichever node's sweep finds it first,
 * and a cancel received by another node reaches the executing one as a signal.
 */
export class RunEngine {
  private readonly queue: string[] = [];
  /** When each queued run was taken (performance.now()): how long it waits for a slot is a metric. */
  private readonly queuedAt = new Map<string, number>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private sweeper: NodeJS.Timeout | null = null;
  private claimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: {
      runs: RunsRepo;
      recorder: RunRecorder;
      executor: RunExecutor;
      clock: Clock;
      concurrency: number;
      leases: WorkLeases;
      signals: ClusterSignals;
      metrics?: Pick<MetricsSink, "runQueueSeconds">;
      /**
       * ROLE: `api` nodes execute only the runs they stream (a stream is served by the executing node) and leave
       * the others queued; `worker` and `all` nodes also take queued runs nobody holds. Default `all`.
       */
      role?: "all" | "api" | "worker";
    },
  ) {
    deps.signals.onSignal((signal) => {
      if (signal.kind === "abort-run") guarded("stopping a run another node asked to stop", () => this.abortHere(signal.id));
    });
    // Another node took this run over (this node stalled past the lease): it must not go on here too.
    deps.leases.onLost((kind, id) => {
      if (kind !== "run") return;
      this.running.get(id)?.controller.abort(new ServerShutdown("The server node executing this run stalled and another node took it over. Create a new run to try again."));
      const index = this.queue.indexOf(id);
      if (index !== -1) this.queue.splice(index, 1);
    });
  }

  /**
   * Ends runs a previous process left unfinished, then starts the expiry sweep (and, when other nodes share the
   * store, the sweep for runs whose node died). Call once at boot.
   */
  start(): void {
    allProjects(() => this.recover());
    this.sweeper = setInterval(() => {
      guarded("the run sweep", () =>
        allProjects(() => {
          this.sweepExpired();
          if (this.deps.leases.shared) this.recover();
        }),
      );
    }, 1000);
    this.sweeper.unref();
    // Runs left queued for any node (by ROLE=api nodes, or by a node that died before starting them).
    if (this.deps.leases.shared && this.deps.role !== "api") {
      this.claimer = setInterval(() => guarded("taking queued runs", () => allProjects(() => this.takeQueued())), CLAIM_POLL_MS);
      this.claimer.unref();
    }
  }

  /** Takes queued runs nobody holds (the work queue's claim), as many as there are free slots. */
  private takeQueued(): void {
    if (this.closed) return;
    for (const id of this.deps.leases.claimQueued("run", this.deps.concurrency - this.running.size - this.queue.length)) this.enqueue(id);
  }

  /**
   * Takes the run's lease before the write that makes it runnable (creation, tool outputs), so no other node's
   * sweep can take it for orphaned in between. 409 while another node still holds it (it is ending there).
   */
  admit(runId: string, streamed = true): boolean {
    const { leases } = this.deps;
    if (this.deps.role === "api" && !streamed) return false;
    if (leases.claim("run", runId) || leases.holder("run", runId) === leases.node) return true;
    throw new ApiError(409, `Run ${runId} is still being finished by another server node; try again in a moment.`, "invalid_request_error", null, "run_busy");
  }

  /** Gives the lease back when the write after `admit` failed. */
  unadmit(runId: string): void {
    if (!this.running.has(runId) && !this.queue.includes(runId)) this.deps.leases.release("run", runId);
  }

  /** Runs taken by this node and waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Runs an admitted run when a slot is free. */
  enqueue(runId: string): void {
    if (this.closed) return;
    this.queue.push(runId);
    this.queuedAt.set(runId, performance.now());
    this.pump();
  }

  /**
   * Whether a run admitted now starts at once (a slot is free and nobody waits for one). Its creation may then
   * store it in_progress in the same commit, one write fewer than queued first and in_progress next, and hand
   * it to `startNow` right after that commit (nothing runs in between: both are synchronous).
   */
  get startsAtOnce(): boolean {
    return !this.closed && this.queue.length === 0 && this.running.size < this.deps.concurrency;
  }

  /** Executes an admitted run its creation already stored in_progress (see startsAtOnce). */
  startNow(run: Run, fresh?: FreshRun): void {
    this.deps.metrics?.runQueueSeconds.observe(0);
    this.launch(run.id, (signal) => this.deps.executor.executeStarted(run, signal, fresh));
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
    if (index !== -1) {
      // Ended before its lease is given back, so no other node can take it in between.
      this.queue.splice(index, 1);
      this.queuedAt.delete(run.id);
      try {
        this.deps.recorder.closeOpenSteps(run.id, "cancelled");
        return this.deps.recorder.endRun(run.id, "cancelled");
      } finally {
        this.deps.leases.release("run", run.id);
      }
    }
    // Nobody here runs it: held by this node it is ended here; held by another node (or taken by one just now),
    // that node is told, and records `cancelled` as its executor unwinds.
    const { leases } = this.deps;
    if (!leases.claim("run", run.id)) {
      const holder = this.remoteHolder(run.id);
      if (holder !== null) {
        const cancelling = this.deps.recorder.setStatus(run.id, "cancelling");
        this.deps.signals.send(holder, { kind: "abort-run", id: run.id });
        return cancelling;
      }
    }
    try {
      this.deps.recorder.closeOpenSteps(run.id, "cancelled");
      return this.deps.recorder.endRun(run.id, "cancelled");
    } finally {
      leases.release("run", run.id);
    }
  }

  /** Aborts the run holding a thread that is being deleted (here, or on the node executing it). */
  abortThread(threadId: string): void {
    const active = this.deps.runs.activeForThread(threadId);
    if (!active) return;
    const local = this.running.get(active.id);
    if (local) local.controller.abort();
    else {
      const holder = this.remoteHolder(active.id);
      if (holder !== null) this.deps.signals.send(holder, { kind: "abort-run", id: active.id });
    }
  }

  /**
   * Another node asks to stop a run this node holds (a cancel, its thread deleted): a running one is aborted
   * (its executor records how it ended), one still waiting for a slot here ends `cancelled` at once.
   */
  private abortHere(runId: string): void {
    const running = this.running.get(runId);
    if (running) {
      running.controller.abort();
      return;
    }
    const index = this.queue.indexOf(runId);
    if (index === -1) return;
    this.queue.splice(index, 1);
    this.queuedAt.delete(runId);
    try {
      this.inRunProject(runId, () => {
        if (this.deps.runs.get(runId) === null) return; // its thread was deleted
        this.deps.recorder.closeOpenSteps(runId, "cancelled");
        this.deps.recorder.endRun(runId, "cancelled");
      });
    } finally {
      this.deps.leases.release("run", runId);
    }
  }

  /** The other node holding the run's lease, if any. */
  private remoteHolder(runId: string): string | null {
    const holder = this.deps.leases.holder("run", runId);
    return holder === this.deps.leases.node ? null : holder;
  }

  /**
   * Stops accepting work. Running runs end `failed` (server_error) — as boot recovery would end them — rather
   * than `cancelled`: nobody cancelled them. Waiting ones too, unless other nodes share the store: they stay
   * queued for them.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.claimer) clearInterval(this.claimer);
    const shutdown = new ServerShutdown();
    for (const runId of this.queue.splice(0)) {
      // Sharing the store, a run that has not started is left queued for another node (a rolling restart
      // fails nothing that had not begun); alone, nobody would run it.
      if (!this.deps.leases.shared) this.inRunProject(runId, () => this.deps.recorder.setStatus(runId, "failed", { last_error: { code: "server_error", message: shutdown.message } }));
      this.deps.leases.release("run", runId);
    }
    const pending = [...this.running.values()];
    for (const r of pending) r.controller.abort(shutdown);
    await Promise.all(pending.map((r) => r.done));
  }

  /**
   * Runs that are waiting (queued or requires_action) past `expires_at` end `expired`: by this node when it
   * holds them or nobody does (another node's queued run is that node's to expire).
   */
  sweepExpired(): void {
    const now = this.deps.clock();
    const { leases } = this.deps;
    for (const run of this.deps.runs.unfinished()) {
      if ((run.status === "queued" || run.status === "requires_action") && run.expires_at !== null && run.expires_at <= now && !this.running.has(run.id)) {
        const index = this.queue.indexOf(run.id);
        if (index !== -1) {
          this.queue.splice(index, 1);
          this.queuedAt.delete(run.id);
        } else if (!leases.claim("run", run.id)) continue;
        this.inRunProject(run.id, () => {
          this.deps.recorder.closeOpenSteps(run.id, "expired");
          this.deps.recorder.setStatus(run.id, "expired");
        });
        leases.release("run", run.id);
      }
    }
  }

  private pump(): void {
    while (this.running.size < this.deps.concurrency && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      const queuedAt = this.queuedAt.get(runId);
      this.queuedAt.delete(runId);
      if (queuedAt !== undefined) this.deps.metrics?.runQueueSeconds.observe((performance.now() - queuedAt) / 1000);
      this.launch(runId, (signal) => this.inRunProject(runId, () => this.deps.executor.execute(runId, signal)));
    }
  }

  /** Holds a slot for the run while `execute` works on it; the lease is given back and the queue moves on after. */
  private launch(runId: string, execute: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    const entry: { controller: AbortController; done: Promise<void> } = { controller, done: Promise.resolve() };
    entry.done = execute(controller.signal)
      .catch((err: unknown) => log.error({ err, run_id: runId }, "run executor crashed"))
      .finally(() => {
        // Tool outputs may have resumed the run (admitted again) before this execution's end got here.
        if (this.running.get(runId) === entry) {
          this.running.delete(runId);
          if (!this.queue.includes(runId)) this.deps.leases.release("run", runId);
        }
        this.pump();
      });
    this.running.set(runId, entry);
  }

  /**
   * No run survives its process half-done: nobody is streaming it and its model call is gone. At boot that is
   * every unfinished run nobody else holds; on a shared store the sweep repeats it for runs whose node died.
   */
  private recover(): void {
    const { leases } = this.deps;
    // Shared: a queued run nobody holds has not started anywhere; takeQueued runs it.
    const candidates = this.deps.runs
      .unfinishedIds()
      .filter((r) => r.status !== "requires_action" && !(r.status === "queued" && leases.shared) && !this.running.has(r.id) && !this.queue.includes(r.id));
    if (candidates.length === 0) return;
    const held = leases.heldIds("run"); // live work of other nodes is not even tried (a claim locks its row)
    for (const { id } of candidates) {
      if (held.has(id) || !leases.claim("run", id)) continue;
      try {
        this.inRunProject(id, () => {
          const run = this.deps.runs.get(id);
          if (run && run.status !== "requires_action" && !isTerminal(run.status)) this.endAfterCrash(run);
        });
      } finally {
        leases.release("run", id);
      }
    }
  }

  private endAfterCrash(run: Run): void {
    const { recorder } = this.deps;
    recorder.closeOpenSteps(run.id, "failed", { code: "server_error", message: "The server restarted during this step." });
    for (const message of recorder.openMessages(run.id)) recorder.finishMessage(message, textOf(message), "run_failed");
    if (run.status === "cancelling") recorder.setStatus(run.id, "cancelled");
    else {
      recorder.setStatus(run.id, "failed", {
        last_error: {
          code: "server_error",
          message: this.deps.leases.shared
            ? "The server node executing this run stopped (crash or restart). Create a new run to try again."
            : "The server stopped while this run was active (crash or restart). Create a new run to try again.",
        },
      });
    }
  }

  /** Runs `fn` in the run's project, read from its row (all projects if the row is gone). */
  private inRunProject<T>(runId: string, fn: () => T): T {
    if (!projectsIsolated()) return fn(); // one project: nothing to read or enter
    const project = this.deps.runs.projectOf(runId);
    return project === null ? allProjects(fn) : inProject(project, fn);
  }
}

function textOf(message: { content: { type: string; text?: { value: string } }[] }): string {
  return message.content.map((p) => p.text?.value ?? "").join("");
}
