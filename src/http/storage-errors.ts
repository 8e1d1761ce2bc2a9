import { ApiError } from "../errors.js";

/**
 * A full disk under DATA_DIR, however it surfaces: ENOSPC/EDQUOT from a file write, SQLITE_FULL from the
 * database (PostgreSQL's disk_full, SQLSTATE 53100), "No space left on device" in a wrapped error (LanceDB's, say), anywhere in the `cause` chain.
 */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL" || code === "53100") return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && /no space left on device|database or disk is full|disk quota exceeded/i.test(message)) return true;
  }
  return false;
}

/**
 * The answer to a request that found the disk full: 507 Insufficient Storage in OpenAI's error shape, code
 * `data_directory_full`. (The SDKs retry 5xx; the route's `x-should-retry: false` tells them not to bother.)
 * Deleting files still works on a full disk, which is how the API frees space.
 */
export function dataDirectoryFull(): ApiError {
  return new ApiError(
    507,
    "The data directory is full: free space on the disk that holds DATA_DIR (deleting files through the API works on a full disk) and retry.",
    "server_error",
    null,
    "data_directory_full",
  );
}
