/**
 * Error bodies exactly as Neon's proxy writes them (spec §7.1), and the two error kinds the
 * server distinguishes: Postgres errors and proxy-side errors.
 * @module
 */

/** The keys of every error body besides `message`, in Neon's JSON spelling. */
const FIELD_KEYS = [
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "severity",
  "where",
  "table",
  "column",
  "schema",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** A JSON error body: `message` plus every key of {@link FIELD_KEYS}, `null` when absent. */
export type ErrorBody = Record<string, string | null>;

/**
 * An error raised by the server itself rather than by Postgres (bad header, bad body, limits,
 * injected faults). It becomes a body with `code: ""`, `severity: ""` and every other key null.
 */
export class ProxyError extends Error {
  /** The HTTP status of the response. */
  readonly status: number;
  /** The `code` of the body: `""` except for the cancelled-by-client case (`08P01`). */
  readonly code: string;

  constructor(status: number, message: string, code = "") {
    super(message);
    this.name = "ProxyError";
    this.status = status;
    this.code = code;
  }
}

/** The fields of a Postgres ErrorResponse as node-postgres and PGlite expose them. */
export interface PostgresErrorLike {
  readonly message: string;
  readonly code: string;
  readonly severity: string;
  readonly [key: string]: unknown;
}

/**
 * Tell a Postgres ErrorResponse (from node-postgres or PGlite) from any other error.
 *
 * @param err anything thrown
 * @returns true when it carries a SQLSTATE code and a severity
 */
export function isPostgresError(err: unknown): err is PostgresErrorLike {
  if (typeof err !== "object" || err === null) return false;
  const e = err as Record<string, unknown>;
  return typeof e["code"] === "string" && typeof e["severity"] === "string" && typeof e["message"] === "string";
}

/**
 * The error body for a Postgres error: the bare message and every field, `null` when absent.
 *
 * @param err the Postgres error
 * @returns the body to send with status 400
 */
export function postgresErrorBody(err: PostgresErrorLike): ErrorBody {
  const body: ErrorBody = { message: err.message };
  for (const key of FIELD_KEYS) {
    const value = err[key];
    body[key] = typeof value === "string" ? value : value == null ? null : String(value);
  }
  return body;
}

/**
 * The error body for a proxy-side error: `code` and `severity` are `""`, all else `null`.
 *
 * @param message the message, which must never contain parameters or credentials
 * @param code the SQLSTATE-like code, `""` for ordinary proxy errors
 * @returns the body
 */
export function proxyErrorBody(message: string, code = ""): ErrorBody {
  const body: ErrorBody = { message };
  for (const key of FIELD_KEYS) body[key] = null;
  body["code"] = code;
  body["severity"] = "";
  return body;
}
