/**
 * The one error type of the HTTP layer. Serialises to OpenAI's shape:
 * `{"error":{"message","type","param","code"}}`.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Object kinds as they appear in "No <kind> found with id '<id>'." */
export type ObjectKind =
  | "assistant"
  | "thread"
  | "message"
  | "run"
  | "run step"
  | "file"
  | "vector store"
  | "vector store file"
  | "vector store file batch"
  | "assistant file"
  | "message file"
  | "response"
  | "conversation"
  | "conversation item"
  | "container"
  | "container file";

export function notFound(kind: ObjectKind, id: string): ApiError {
  return new ApiError(404, `No ${kind} found with id '${id}'.`, "invalid_request_error", null, null);
}

export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, "invalid_request_error", param, code);
}

export function activeRunConflict(threadId: string, runId: string): ApiError {
  return badRequest(`Thread ${threadId} already has an active run ${runId}.`);
}
