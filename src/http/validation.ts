import type { Context } from "hono";
import { z } from "zod";
import { ApiError, badRequest } from "../errors.js";

/** Deeper JSON than this is refused before it reaches recursive code (schema walkers, JSON.stringify). */
const MAX_JSON_DEPTH = 64;
const JSON_TYPE = /^application\/(.+\+)?json\b/i;

/**
 * Reads a JSON request body and validates it. An empty body counts as `{}` (the SDK sends none for
 * body-less POSTs such as cancel); a non-empty one needs `Content-Type: application/json`. Every failure is
 * a 400 in OpenAI's shape; nothing here can 500.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let body: unknown = {};
  if (text.trim() !== "") {
    // Required: a body without one is what a cross-site `fetch(…, {mode: "no-cors", body: blob})` sends.
    const type = c.req.header("content-type") ?? "";
    if (type === "") throw badRequest("Missing Content-Type header: a request body must be sent as application/json.", null, "invalid_content_type");
    if (!JSON_TYPE.test(type)) {
      throw badRequest(`Invalid Content-Type header (${type}), expected application/json.`, null, "invalid_content_type");
    }
    body = parseJson(text);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object.");
  }
  return parseWith(schema, body);
}

/** Validates already-decoded input (query strings, form fields) against a schema. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // reportInput lets the error tell a missing field from a wrong one.
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw zodToApiError(result.error);
  return result.data;
}

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest(
      "We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.",
      null,
      "invalid_json",
    );
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) throw badRequest(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  return value;
}

/** Iterative, so hostile nesting cannot overflow the stack here. */
function depthExceeds(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

/** OpenAI names nested params like `tools[0].function.name`. */
export function paramName(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out === "" ? null : out;
}

export function zodToApiError(error: z.ZodError): ApiError {
  const issue = deepestIssue(error.issues[0]!);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    return badRequest(`Unrecognized request argument supplied: ${key}`, paramName([...issue.path, key]), "unknown_parameter");
  }
  if (issue.code === "invalid_key") {
    // The key itself is wrong: name the record (not a field the key would make) and say why, from the key's own issue.
    const record = paramName(issue.path.slice(0, -1));
    return badRequest(`Invalid '${record ?? "body"}': ${issue.issues[0]?.message ?? issue.message}.`, record, "invalid_value");
  }
  const param = paramName(issue.path);
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
  }
  if (issue.code === "invalid_union" && "discriminator" in issue && issue.discriminator) {
    const given = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
    return badRequest(`Invalid value for '${param}': ${JSON.stringify(given) ?? "nothing"} is not a supported type.`, param, "invalid_value");
  }
  if (issue.code === "invalid_type") {
    return badRequest(`Invalid type for '${param}': ${issue.message.replace(/^Invalid input: /, "")}.`, param, "invalid_type");
  }
  return badRequest(`Invalid '${param ?? "body"}': ${issue.message}.`, param, "invalid_value");
}

/**
 * A union none of whose options fit (`input`: a string or a list of items) says only "Invalid input". When one
 * option got further into the value than the others (the list, failing at `[0].encrypted_content`), its issue
 * is the one that names what is wrong; paths of an option's issues are relative to the union.
 */
function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union" || ("discriminator" in issue && issue.discriminator)) return issue;
  const firsts = issue.errors.map((issues) => issues[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
  const deepest = firsts.reduce<z.core.$ZodIssue | null>((best, i) => (i.path.length > (best?.path.length ?? 0) ? i : best), null);
  return deepest ? deepestIssue({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue) : issue;
}
