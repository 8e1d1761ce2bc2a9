/**
 * Applies a modify request: keys the client sent replace the stored value (null included, to clear it);
 * keys it left out (undefined) keep theirs.
 */
export function applyPatch<T extends object>(current: T, patch: { [K in keyof T]?: T[K] | undefined }): T {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  return next;
}
