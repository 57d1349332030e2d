/**
 * Running valibot schemas and turning their issues into a {@link ValidationError}.
 * @module
 */
import * as v from "valibot";
import { ValidationError, type ValidationIssue } from "./errors.ts";

/** Any valibot schema, synchronous or asynchronous. */
export type AnySchema =
  | v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>
  | v.BaseSchemaAsync<unknown, unknown, v.BaseIssue<unknown>>;

// valibot's default messages end with `Received <value>`; values never go into our errors.
const RECEIVED = /(?:: )?(?:Expected (.*) but r|R)eceived .*$/s;

function issueMessage(issue: v.BaseIssue<unknown>): string {
  const match = RECEIVED.exec(issue.message);
  if (match === null) return issue.message;
  const head = issue.message.slice(0, match.index);
  return match[1] === undefined ? head : `${head}: Expected ${match[1]}`;
}

/** Convert valibot issues into path-carrying, value-free {@link ValidationIssue}s. */
export function toValidationIssues(issues: readonly v.BaseIssue<unknown>[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: v.getDotPath(issue) ?? undefined,
    message: issueMessage(issue),
    kind: issue.type,
  }));
}

/**
 * Validate `value` against `schema` and return the schema's output.
 *
 * @param what what is validated, for the error message (`input of user.register`)
 * @throws {ValidationError} code `VALIDATION_FAILED` with the issues and their paths
 */
export async function validate<S extends AnySchema>(
  schema: S,
  value: unknown,
  what: string | (() => string),
): Promise<v.InferOutput<S>> {
  // A synchronous schema is parsed synchronously: the fold of a record validates every event,
  // and the asynchronous path costs a promise per nested entry.
  const result = schema.async ? await v.safeParseAsync(schema, value) : v.safeParse(schema, value);
  if (result.success) return result.output as v.InferOutput<S>;
  const issues = toValidationIssues(result.issues);
  const first = issues[0];
  const where = first?.path === undefined ? "" : ` at ${first.path}`;
  throw new ValidationError(
    `Invalid ${typeof what === "string" ? what : what()}${where}: ${first?.message ?? "invalid value"}`,
    issues,
  );
}

/** A ValidationError for one problem found outside a schema (an actor, an event id, ...). */
export function validationError(message: string, path?: string, kind = "custom"): ValidationError {
  return new ValidationError(message, [{ path, message, kind }]);
}
