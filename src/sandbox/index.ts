/** The sandbox module's public surface: the contract, the QuickJS implementation, the model-facing description. */
export type { CodeSandbox, SandboxFile, SandboxLimits, SandboxResult, SandboxRunOptions, SkippedFile } from "./types.js";
export { createQuickJsSandbox, type QuickJsSandboxOptions } from "./quickjs-sandbox.js";
export { DEFAULT_LIMITS, MAX_STACK_BYTES } from "./limits.js";
export { SANDBOX_API_DESCRIPTION } from "./description.js";
