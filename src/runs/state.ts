import type { RunStatus } from "../api/wire.js";

/** The only legal run transitions (see docs/ARCHITECTURE.md). Anything else is a bug and throws. */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  // queued → failed only at boot, for runs a crash left waiting (the run never started).
  queued: ["in_progress", "cancelling", "expired", "failed"],
  in_progress: ["requires_action", "completed", "failed", "incomplete", "cancelling", "expired"],
  requires_action: ["queued", "cancelling", "expired"],
  cancelling: ["cancelled"],
  cancelled: [],
  failed: [],
  completed: [],
  incomplete: [],
  expired: [],
};

export function isTerminal(status: RunStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  constructor(runId: string, from: RunStatus, to: RunStatus) {
    super(`run ${runId}: illegal transition ${from} → ${to}`);
  }
}

/** The abort reason the engine uses when the server stops: such runs end `failed`, not `cancelled`. */
export class ServerShutdown extends Error {
  override readonly name = "ServerShutdown";
  constructor(message = "The server shut down while this run was active. Create a new run to try again.") {
    super(message);
  }
}
