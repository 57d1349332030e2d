/**
 * Recognising errors that Postgres itself raised, whichever driver carried them.
 * @module
 */
import { StorageError } from "../../core/errors.ts";
import { redactMessage } from "./redact-message.ts";

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The SQLSTATE of an error Postgres sent (node-postgres `DatabaseError`, PGlite's
 * `DatabaseError`, Neon's `NeonDbError`), or undefined for anything else. System error codes
 * such as `EPIPE` are excluded by requiring the `severity` that Postgres always sends.
 *
 * @param error any thrown value
 * @returns the five-character SQLSTATE, or undefined
 * @example
 * ```ts
 * sqlStateOf(Object.assign(new Error("x"), { code: "23505", severity: "ERROR" })) // => "23505"
 * ```
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (typeof code !== "string" || !SQLSTATE.test(code)) return undefined;
  return typeof severity === "string" && severity !== "" ? code : undefined;
}

/**
 * Turn an error Postgres raised into a {@link StorageError}: keeps the SQLSTATE and the
 * original as `cause`; the message is the primary message with values redacted. Nothing
 * was committed (`outcomeUnknown` is false): Postgres answered.
 *
 * @param error any thrown value
 * @param params the text of every parameter sent with the failing request, for redaction
 * @returns the StorageError, or undefined when `error` did not come from Postgres
 * @example
 * ```ts
 * import { StorageError } from "edge-events";
 *
 * function storageError(err: unknown, params: readonly (string | null)[]): StorageError {
 *   return postgresStorageError(err, params) ??
 *     new StorageError("The connection failed", { cause: err, outcomeUnknown: true });
 * }
 * ```
 */
export function postgresStorageError(error: unknown, params: readonly (string | null)[]): StorageError | undefined {
  const sqlState = sqlStateOf(error);
  if (sqlState === undefined) return undefined;
  const primary = error instanceof Error ? error.message : String((error as { message?: unknown }).message ?? "");
  return new StorageError(`Database error ${sqlState}: ${redactMessage(primary, params)}`, {
    cause: error,
    sqlState,
    outcomeUnknown: false,
  });
}
