import fs from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

/**
 * Validates what the server returns against the official OpenAI schemas in
 * test/fixtures/spec/assistants-v2.openapi.json (see its README). The document marks nullable fields the
 * OpenAPI 3.0 way, so they are rewritten to JSON Schema null unions before ajv (2020 dialect) sees them.
 */
export const SPEC_FILE = new URL("../fixtures/spec/assistants-v2.openapi.json", import.meta.url).pathname;

/** Component schemas of objects the server returns (the document names them; see its components.schemas). */
export const SCHEMA_NAMES = [
  "AssistantObject",
  "ThreadObject",
  "MessageObject",
  "OpenAIFile",
  "RunObject",
  "RunStepObject",
  "VectorStoreObject",
  "VectorStoreFileObject",
  "VectorStoreFileBatchObject",
  "VectorStoreSearchResultsPage",
  "VectorStoreFileContentResponse",
  "MessageDeltaObject",
  "RunStepDeltaObject",
  "ListAssistantsResponse",
  "ListMessagesResponse",
  "ListFilesResponse",
  "ListRunsResponse",
  "ListRunStepsResponse",
  "ListVectorStoresResponse",
  "ListVectorStoreFilesResponse",
  "DeleteAssistantResponse",
  "DeleteThreadResponse",
  "DeleteMessageResponse",
  "DeleteFileResponse",
  "DeleteVectorStoreResponse",
  "DeleteVectorStoreFileResponse",
  "ErrorResponse",
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

const SPEC_ID = "https://local-assistants.test/assistants-v2.openapi.json";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** Throws an Error listing every ajv complaint (path, problem, offending value) when `value` breaks the schema. */
export function expectMatchesSchema(value: unknown, name: SchemaName): void {
  check(value, name, `${SPEC_ID}#/components/schemas/${name}`);
}

/**
 * The same check against test/fixtures/spec/responses.openapi.json (the Responses, Conversations, chat and
 * models document), for any of its component schemas (`Response`, `ResponseTextDeltaEvent`, `ResponseItemList`…).
 */
export function expectMatchesResponsesSchema(value: unknown, name: string): void {
  check(value, name, `${RESPONSES_SPEC_ID}#/components/schemas/${name}`);
}

function check(value: unknown, name: string, ref: string): void {
  let validate = validators.get(ref);
  if (!validate) {
    validate = instance().compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (validate(value)) return;
  const lines = (validate.errors ?? []).map((e) => `  ${describe(e, value)}`);
  throw new Error(`Response does not match ${name}:\n${lines.join("\n")}\nvalue: ${preview(value)}`);
}

export const RESPONSES_SPEC_FILE = new URL("../fixtures/spec/responses.openapi.json", import.meta.url).pathname;
const RESPONSES_SPEC_ID = "https://local-assistants.test/responses.openapi.json";

/** One ajv per process, both specs loaded and converted on first use. */
function instance(): Ajv2020 {
  if (ajv) return ajv;
  const spec = JSON.parse(fs.readFileSync(SPEC_FILE, "utf8")) as { components: { schemas: JsonObject } };
  const schemas = nullableToUnion(spec.components.schemas) as JsonObject;
  applyKnownDeviations(schemas);
  requireObjects(schemas);
  const responsesSpec = JSON.parse(fs.readFileSync(RESPONSES_SPEC_FILE, "utf8")) as { components: { schemas: JsonObject } };
  const responsesSchemas = nullableToUnion(responsesSpec.components.schemas) as JsonObject;
  requireObjects(responsesSchemas);
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat("unixtime", {
    type: "number",
    // Whole seconds: a millisecond timestamp (13 digits) is a bug, not a date in the year 50,000.
    validate: (n: number) => Number.isInteger(n) && n >= 0 && n < 10_000_000_000,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("uri", (s: string) => URL.canParse(s));
  ajv.addFormat("binary", () => true);
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
  ajv.addSchema({ $id: RESPONSES_SPEC_ID, components: { schemas: responsesSchemas } });
  return ajv;
}

/**
 * `{…, nullable: true}` becomes `{anyOf: [{…}, {type: "null"}]}`; so does `allOf: [{$ref}, {nullable: true}]`
 * (the marker is dropped from the allOf). Wrapping rather than widening `type` keeps enums correct.
 */
export function nullableToUnion(node: Json): Json {
  if (Array.isArray(node)) return node.map(nullableToUnion);
  if (node === null || typeof node !== "object") return node;
  const { nullable, ...rest } = node;
  let isNullable = nullable === true;
  const allOf = rest.allOf;
  if (Array.isArray(allOf)) {
    const kept = allOf.filter((s) => !isNullableMarker(s));
    if (kept.length !== allOf.length) isNullable = true;
    if (kept.length > 0) rest.allOf = kept;
    else delete rest.allOf;
  }
  const converted: JsonObject = {};
  for (const [key, value] of Object.entries(rest)) converted[key] = nullableToUnion(value);
  return isNullable ? { anyOf: [converted, { type: "null" }] } : converted;
}

function isNullableMarker(s: Json): boolean {
  if (s === null || typeof s !== "object" || Array.isArray(s)) return false;
  return s.nullable === true && Object.keys(s).every((k) => k === "nullable" || k === "description");
}

/**
 * Where the hosted API was known to answer differently from the document, clients accept both (spec README):
 * empty lists carry `first_id`/`last_id: null`, files carry `expires_at`/`status_details: null`. The file
 * object's `purpose` enum also lacks `evals`, which the document's own CreateFileRequest accepts.
 */
function applyKnownDeviations(schemas: JsonObject): void {
  for (const [name, schema] of Object.entries(schemas)) {
    if (!/^List\w+Response$/.test(name)) continue;
    const props = propertiesOf(schema);
    for (const key of ["first_id", "last_id"]) if (props[key]) props[key] = orNull(props[key]);
  }
  const file = propertiesOf(schemas.OpenAIFile!);
  for (const key of ["expires_at", "status_details"]) file[key] = orNull(file[key]!);
  const purpose = file.purpose as JsonObject;
  const uploadPurposes = (propertiesOf(schemas.CreateFileRequest!).purpose as JsonObject).enum as string[];
  purpose.enum = [...new Set([...(purpose.enum as string[]), ...uploadPurposes])];
}

/** A few top-level schemas (OpenAIFile, some lists) leave out `type: "object"`, which would let null through. */
function requireObjects(schemas: JsonObject): void {
  for (const schema of Object.values(schemas)) {
    const s = schema as JsonObject;
    if (s.properties !== undefined && s.type === undefined && s.anyOf === undefined) s.type = "object";
  }
}

function propertiesOf(schema: Json): JsonObject {
  return (schema as JsonObject).properties as JsonObject;
}

function orNull(schema: Json): Json {
  return { anyOf: [schema, { type: "null" }] };
}

function describe(e: ErrorObject, root: unknown): string {
  const at = e.instancePath === "" ? "(root)" : e.instancePath;
  const extra = e.keyword === "additionalProperties" || e.keyword === "enum" ? ` ${JSON.stringify(e.params)}` : "";
  return `${at} ${e.message ?? e.keyword}${extra} (schema ${e.schemaPath}); got ${preview(valueAt(root, e.instancePath))}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
