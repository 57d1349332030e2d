/**
 * What an action request carries besides its path, each checked before anything is written:
 * `Idempotency-Key` (the call's event id: a ULID, bare or as a quoted string), `If-Match` (the
 * strong ETag of the record's last event: its position in double quotes) and the body, read
 * with a size limit, which is JSON of the form `{ input?, record? }`: the action's input,
 * validated by the action's own schema, and for change-function updates the record the client
 * holds at `If-Match`. A tenant or an actor is no key of that object: both come from the
 * authentication, and an unknown key is refused naming it.
 * @module
 */
import * as v from "valibot";
import type { ActionDefinition } from "../core/action.ts";
import type { ValidationIssue } from "../core/errors.ts";
import { isUlid } from "../core/ids.ts";
import type { AnySchema } from "../core/validation.ts";
import { toValidationIssues } from "../core/validation.ts";
import { RouterProblem } from "./problem.ts";

/** The body of an action request, its input not yet validated by the core. */
export interface ActionBody {
  /** The input as sent (`{}` when the body has none). */
  readonly input: unknown;
  /** The record held at `If-Match`, as JSON (change-function updates only). */
  readonly record?: Readonly<Record<string, unknown>>;
}

const POSITION = /^"(0|[1-9][0-9]{0,18})"$/;
const POSITION_MAX = 9223372036854775807n;

function headerProblem(name: string, message: string): RouterProblem {
  return new RouterProblem("VALIDATION_FAILED", `Invalid header: ${name}`, {
    source: "query",
    issues: [{ path: name, message, kind: "header" }],
  });
}

function bodyProblem(issues: readonly ValidationIssue[]): RouterProblem {
  const names = [...new Set(issues.map((i) => i.path ?? "(body)"))].join(", ");
  return new RouterProblem("VALIDATION_FAILED", `Invalid body parameters: ${names}`, { source: "body", issues });
}

/**
 * The event id an `Idempotency-Key` names: a ULID, bare (`01J...`) or as the structured-field
 * string of the IETF draft (`"01J..."`).
 *
 * @param header the header's value
 * @returns the event id, or undefined without the header
 * @throws {RouterProblem} 400 naming `Idempotency-Key` when it is not a ULID
 */
export function eventIdOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const key = value.length > 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!isUlid(key)) {
    throw headerProblem("Idempotency-Key", "Expected a ULID: 26 uppercase Crockford base32 characters");
  }
  return key;
}

/**
 * The expected position an `If-Match` names: `"42"` is 42n; `*` asks nothing more than that the
 * record exists (which an update requires anyway): undefined.
 *
 * @param header the header's value
 * @returns the position, or undefined without a precondition
 * @throws {RouterProblem} 400 naming `If-Match` for anything else (a weak ETag, a list, a hash)
 */
export function expectedPositionOf(header: string | undefined): bigint | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return undefined;
  const match = POSITION.exec(value);
  const position = match === null ? undefined : BigInt(match[1]!);
  if (position === undefined || position > POSITION_MAX) {
    throw headerProblem(
      "If-Match",
      value.startsWith("W/")
        ? "A weak ETag never matches: send the ETag of the record's last action as it was given"
        : 'Expected one ETag of an action\'s answer: the position in double quotes ("42")',
    );
  }
  return position;
}

async function readLimited(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new RouterProblem("CONTENT_TOO_LARGE", `The body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * The JSON of a request's body: `application/json` only (415), at most `maxBytes` (413, told by
 * `Content-Length` before anything is read, or counted while reading), UTF-8 JSON (400).
 *
 * @param request the request
 * @param maxBytes the largest body accepted
 * @returns the parsed JSON
 * @throws {RouterProblem} 415, 413, or 400 (`VALIDATION_FAILED`, kind `json`)
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const type = (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new RouterProblem("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  const length = request.headers.get("Content-Length");
  if (length !== null && /^[0-9]+$/.test(length) && Number(length) > maxBytes) {
    throw new RouterProblem("CONTENT_TOO_LARGE", `The body is larger than ${maxBytes} bytes`);
  }
  const bytes = await readLimited(request.body, maxBytes);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    const issue = { path: undefined, message: "The body is not valid JSON", kind: "json" };
    throw new RouterProblem("VALIDATION_FAILED", issue.message, { source: "query", issues: [issue] });
  }
}

const ENVELOPE = v.strictObject({ input: v.optional(v.unknown()) });
const HELD_ENVELOPE = v.strictObject({
  input: v.optional(v.unknown()),
  record: v.optional(v.custom<Record<string, unknown>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "Expected the record as a JSON object",
  )),
});

/**
 * The body of an action request, its input checked against the action's own schema (422
 * naming `input.<path>`; the core validates the input as sent once more, and writes its output).
 *
 * @param json the body's JSON
 * @param action the action
 * @param held whether the action takes a held record (a change-function update)
 * @returns the input as sent, and the record
 * @throws {RouterProblem} 422 naming the offending key or input field
 */
export async function actionBody(json: unknown, action: ActionDefinition, held: boolean): Promise<ActionBody> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw bodyProblem([{
      path: undefined,
      message: "Expected the body as a JSON object: { input, record? }",
      kind: "object",
    }]);
  }
  const envelope = v.safeParse(held ? HELD_ENVELOPE : ENVELOPE, json);
  if (!envelope.success) throw bodyProblem(toValidationIssues(envelope.issues));
  const body = envelope.output as { input?: unknown; record?: Record<string, unknown> };
  const input = body.input ?? {};
  const schema = action.input as AnySchema;
  const result = schema.async ? await v.safeParseAsync(schema, input) : v.safeParse(schema, input);
  if (!result.success) {
    throw bodyProblem(
      toValidationIssues(result.issues).map((i) => ({
        ...i,
        path: i.path === undefined ? "input" : `input.${i.path}`,
      })),
    );
  }
  return body.record === undefined ? { input } : { input, record: body.record };
}
