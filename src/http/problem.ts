/**
 * Errors as RFC 9457 `application/problem+json`, and the one table that maps the stable error
 * codes to HTTP statuses. Nothing else in edge-events names an HTTP status.
 *
 * A problem carries the status, its reason phrase as `title`, a `detail` that names no value,
 * the stable `code` and, for validation, the `issues` (path, message, kind: never the value).
 * Payloads, SQL, parameters and stack traces never appear: a storage failure and any error that
 * is not an edge-events error are answered with a generic detail.
 * @module
 */
import { HTTPException } from "hono/http-exception";
import type { EdgeEventsErrorCode, ValidationIssue } from "../core/errors.ts";
import { isEdgeEventsError } from "../core/errors.ts";

/** The codes a problem carries: the error codes of edge-events and the router's own. */
export type ProblemCode =
  | EdgeEventsErrorCode
  | "FORBIDDEN"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "CONTENT_TOO_LARGE"
  | "INTERNAL_ERROR";

/** An RFC 9457 problem as the router sends it. */
export interface Problem {
  /** Always `about:blank`: the status and `code` say what happened. */
  readonly type: "about:blank";
  /** The status's reason phrase. */
  readonly title: string;
  /** The HTTP status. */
  readonly status: number;
  /** What went wrong, naming no value of the request or of the log. */
  readonly detail: string;
  /** The stable code. */
  readonly code: ProblemCode;
  /** For `VALIDATION_FAILED`: each offending parameter (`path`), what is wrong and the kind of check. */
  readonly issues?: readonly ValidationIssue[];
}

/** Where the input of a request came from: the path and query (400) or the JSON body (422). */
export type InputSource = "query" | "body";

/**
 * The status of each code. `VALIDATION_FAILED` is 400 for the query and path, 422 for a body.
 * `STALE_RECORD` (a stale `If-Match` of an action over HTTP) is 412.
 */
const STATUS: Readonly<Record<ProblemCode, number>> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STALE_RECORD: 412,
  REPLAY_IN_PROGRESS: 503,
  REPLAY_FAILED: 409,
  REPLAY_ALREADY_RUNNING: 409,
  REPLAY_CONFLICT: 409,
  REPLAY_NOT_CONFIGURED: 501,
  STORAGE_FAILURE: 503,
  HOOK_FAILED: 500,
  PROJECTION_FAILED: 500,
  PROJECTION_CONFLICT: 409,
  PROJECTION_REBUILDING: 503,
  ROW_EXISTS: 409,
  RECORD_DESTROYED: 409,
  RECORD_NOT_DESTROYED: 409,
  FOLD_FAILED: 500,
  DECRYPTION_FAILED: 500,
  VALUE_REDACTED: 409,
  FORBIDDEN: 403,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONTENT_TOO_LARGE: 413,
  INTERNAL_ERROR: 500,
};

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Details that replace messages which could carry more than the code says. */
const GENERIC: Partial<Record<ProblemCode, string>> = {
  STORAGE_FAILURE: "The database failed or could not be reached",
  HOOK_FAILED: "An after hook failed",
  INTERNAL_ERROR: "An unexpected error occurred",
};

/**
 * The HTTP status of a problem code.
 *
 * @param code the stable code
 * @param source where the request's input came from (a body makes validation 422)
 * @returns the status
 */
export function statusOf(code: ProblemCode, source: InputSource = "query"): number {
  return code === "VALIDATION_FAILED" && source === "body" ? 422 : STATUS[code];
}

/** Where a router problem's input came from, and the offending parameters. */
export interface RouterProblemOptions {
  /** The input the problem is about (a header is `query`: 400), overriding the route's. */
  readonly source?: InputSource;
  /** The offending parameters, for `VALIDATION_FAILED`. */
  readonly issues?: readonly ValidationIssue[];
}

/** A problem the router raises itself (403, 404 for an unknown route, 413, 415, a bad header), answered as it is. */
export class RouterProblem extends Error {
  /** The problem's code. */
  readonly code: ProblemCode;
  /** Where its input came from, when the problem says so. */
  readonly source: InputSource | undefined;
  /** The offending parameters. */
  readonly issues: readonly ValidationIssue[] | undefined;

  /**
   * A router problem.
   *
   * @param code its code (its status comes from the table)
   * @param detail what went wrong, naming no value
   * @param options the input it is about and its issues
   */
  constructor(code: ProblemCode, detail: string, options: RouterProblemOptions = {}) {
    super(detail);
    this.name = "RouterProblem";
    this.code = code;
    this.source = options.source;
    this.issues = options.issues;
  }
}

/** Build a problem from its code and detail. */
export function problem(
  code: ProblemCode,
  detail: string,
  source: InputSource = "query",
  issues?: readonly ValidationIssue[],
): Problem {
  const status = statusOf(code, source);
  const body = { type: "about:blank" as const, title: TITLES[status] ?? "Error", status, detail, code };
  return issues === undefined ? body : { ...body, issues: issues.map((i) => ({ ...i })) };
}

/**
 * The problem that answers `error`: an edge-events error by its code (a validation error with
 * its issues), a router problem as it is, anything else as a generic 500.
 *
 * @param error what was thrown
 * @param source where the request's input came from
 * @returns the problem
 */
export function problemOf(error: unknown, source: InputSource = "query"): Problem {
  if (error instanceof RouterProblem) return problem(error.code, error.message, error.source ?? source, error.issues);
  if (isEdgeEventsError(error)) {
    const detail = GENERIC[error.code] ?? error.message;
    return isEdgeEventsError(error, "VALIDATION_FAILED")
      ? problem(error.code, detail, source, error.issues)
      : problem(error.code, detail, source);
  }
  if (error instanceof HTTPException && error.status === 400) {
    // Hono's JSON validator: a body that does not parse.
    const issue = { path: undefined, message: "The body is not valid JSON", kind: "json" };
    return problem("VALIDATION_FAILED", issue.message, "query", [issue]);
  }
  return problem("INTERNAL_ERROR", GENERIC.INTERNAL_ERROR!);
}

/**
 * The response of a problem: `application/problem+json`, with `Retry-After` while a replay
 * fences writes.
 *
 * @param body the problem
 * @param retryAfterSeconds the `Retry-After` of a `REPLAY_IN_PROGRESS` answer
 * @returns the response
 */
export function problemResponse(body: Problem, retryAfterSeconds = 5): Response {
  const headers = new Headers({ "Content-Type": "application/problem+json", "Cache-Control": "no-store" });
  if (body.code === "REPLAY_IN_PROGRESS" || body.code === "PROJECTION_REBUILDING") {
    headers.set("Retry-After", String(retryAfterSeconds));
  }
  return new Response(JSON.stringify(body), { status: body.status, headers });
}
