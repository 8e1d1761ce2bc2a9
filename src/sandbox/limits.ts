/** Default and maximum sandbox limits, shared by the pool (main thread) and the sessions (worker). */
import type { SandboxLimits } from "./types.js";

// Larger QuickJS stacks let deep recursion overflow the host stack and abort the module on dispose.
export const MAX_STACK_BYTES = 256 * 1024;

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = {
  timeMs: 5_000,
  memoryBytes: 64 * 1024 * 1024,
  stackBytes: MAX_STACK_BYTES,
  outputBytes: 64 * 1024,
};
