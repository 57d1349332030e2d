/**
 * The router's parameters as valibot schemas (strings in, typed values out), and the Hono
 * validator middleware that runs them: an unknown, repeated or malformed parameter is a
 * `VALIDATION_FAILED` problem naming it (400 in the query or path, 422 in a JSON body), and the
 * handler never runs. The same schemas make the OpenAPI document.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";
import { isUlid } from "../core/ids.ts";
import { toValidationIssues } from "../core/validation.ts";
import { dateFromJson } from "../core/wire.ts";
import { type InputSource, problem, problemResponse } from "./problem.ts";

/** Any valibot schema the router validates a request part with. */
export type InputSchema = v.GenericSchema<unknown, unknown>;

const POSITION = /^(0|[1-9][0-9]{0,18})$/;
const POSITION_MAX = 9223372036854775807n;

/** Non-empty text of at most `max` characters. */
export function textParam(max = 256): v.GenericSchema<string, string> {
  return v.pipe(v.string(), v.minLength(1), v.maxLength(max));
}

/** A page size: decimal digits from 1 to `max`. */
export function limitParam(max: number): v.GenericSchema<string, number> {
  return v.pipe(
    v.string(),
    v.regex(/^[1-9][0-9]{0,5}$/, `Expected an integer from 1 to ${max}`),
    v.transform(Number),
    v.maxValue(max, `Expected an integer from 1 to ${max}`),
  );
}

/** A log position as its decimal digits (0 to 2^63 - 1). */
export const positionParam: v.GenericSchema<string, bigint> = v.pipe(
  v.string(),
  v.regex(POSITION, "Expected a position: decimal digits from 0 to 2^63 - 1"),
  v.transform((digits: string) => BigInt(digits)),
  v.check((p: bigint) => p <= POSITION_MAX, "Expected a position: decimal digits from 0 to 2^63 - 1"),
);

/** An ISO-8601 time with an offset, exact to the millisecond (the rules of `dateFromJson`). */
export const timeParam: v.GenericSchema<string, Date> = v.pipe(
  v.string(),
  v.isoTimestamp("Expected an ISO-8601 time with an offset"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return dateFromJson(dataset.value);
    } catch {
      addIssue({ message: "Expected an ISO-8601 time with an offset, exact to the millisecond" });
      return NEVER;
    }
  }),
);

/** An event id (a ULID). */
export const eventIdParam: v.GenericSchema<string, string> = v.pipe(
  v.string(),
  v.check((id) => isUlid(id), "Expected an event id (a ULID)"),
);

/** `forward` or `backward`. */
export const directionParam: v.PicklistSchema<["forward", "backward"], undefined> = v.picklist([
  "forward",
  "backward",
]);

/** The path of one record: `/:resource/:id`. */
export const recordPath: v.GenericSchema<{ resource: string; id: string }> = v.strictObject({
  resource: textParam(),
  id: textParam(),
});

/** The issues of a failed parse, with the path of each offending parameter and no value. */
function parse<S extends InputSchema>(schema: S, value: unknown, source: InputSource): v.InferOutput<S> | Response {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issues = toValidationIssues(result.issues);
  const names = [...new Set(issues.map((i) => i.path ?? "(input)"))].join(", ");
  const where = source === "body" ? "body" : "request";
  return problemResponse(problem("VALIDATION_FAILED", `Invalid ${where} parameters: ${names}`, source, issues));
}

/**
 * Hono's validator over the query (or the path parameters), with a valibot schema. A `tenant`
 * query parameter is always refused: the tenant comes from the tenant resolver or the store.
 *
 * @param target `query` or `param`
 * @param schema a strict object schema of strings
 * @returns the middleware; the handler reads `c.req.valid(target)`
 */
export function validateRequest<S extends InputSchema>(
  target: "query" | "param",
  schema: S,
): MiddlewareHandler {
  const middleware = validator(target, (value): unknown => {
    if (target === "query" && Object.hasOwn(value, "tenant")) {
      const issue = {
        path: "tenant",
        message: "tenant comes from the authentication, never from the request",
        kind: "scope",
      };
      return problemResponse(problem("VALIDATION_FAILED", "Invalid request parameters: tenant", "query", [issue]));
    }
    return parse(schema, value, "query");
  });
  return middleware as unknown as MiddlewareHandler;
}

/**
 * Hono's validator over a JSON body, with a valibot schema. A body must be sent as
 * `application/json` (415 otherwise: a cross-site form cannot start or abort a replay, since a
 * JSON request from another origin needs a CORS preflight); with nothing to say, send `{}`.
 *
 * @param schema a strict object schema
 * @returns the middleware; the handler reads `c.req.valid("json")`
 */
export function validateBody<S extends InputSchema>(schema: S): MiddlewareHandler {
  const json = validator("json", (value): unknown => parse(schema, value, "body")) as unknown as MiddlewareHandler;
  return async (c, next) => {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      const detail = "Send the body as application/json";
      return problemResponse(problem("UNSUPPORTED_MEDIA_TYPE", detail));
    }
    return await json(c, next);
  };
}

/** The validated value of a request part (what the validator middleware stored). */
export function validated<T>(c: { req: { valid(target: never): unknown } }, target: string): T {
  return c.req.valid(target as never) as T;
}
