/**
 * Mapping the errors of Neon's HTTP driver to {@link StorageError}.
 * @module
 */
import { StorageError } from "../../core/errors.ts";
import { postgresStorageError, redactMessage } from "../failure/mod.ts";

const HTTP_STATUS = /^Server error \(HTTP status (\d+)\)/;
const NETWORK = /^Error connecting to database/;
const BAD_RESULT = /^Neon internal error/;

/**
 * Map an error thrown by `sql.query()` / `sql.transaction()` to a {@link StorageError}.
 *
 * - Postgres errors (HTTP 400 with a SQLSTATE): `sqlState` set, nothing committed.
 * - The fetch failed, or the endpoint answered with a non-400 status other than 413, or the
 *   answer could not be read: no `sqlState`, and `outcomeUnknown` is true, because the
 *   statement or batch may have run and committed before the answer was lost.
 * - The endpoint rejected the request itself (a 400 without SQLSTATE, such as a bad
 *   connection string, or a 413): nothing ran.
 *
 * @param error what the driver threw
 * @param params the text of every parameter in the request, kept out of the message
 * @returns the StorageError, with `error` as `cause`
 * @example
 * ```ts
 * import { neon } from "@neondatabase/serverless";
 *
 * async function run(databaseUrl: string, text: string, params: (string | null)[]): Promise<unknown> {
 *   try {
 *     return await neon(databaseUrl).query(text, params);
 *   } catch (err) {
 *     throw neonFailure(err, params);
 *   }
 * }
 * ```
 */
export function neonFailure(error: unknown, params: readonly (string | null)[]): StorageError {
  const fromPostgres = postgresStorageError(error, params);
  if (fromPostgres !== undefined) return fromPostgres;
  const message = error instanceof Error ? error.message : "";
  const isNeonError = error instanceof Error && error.name === "NeonDbError";
  const status = isNeonError ? HTTP_STATUS.exec(message)?.[1] : undefined;
  if (status === "413") {
    return new StorageError("The SQL-over-HTTP endpoint refused the request as too large (HTTP 413)", {
      cause: error,
      outcomeUnknown: false,
    });
  }
  if (status !== undefined) {
    return unknownOutcome(`The SQL-over-HTTP endpoint answered HTTP ${status}; the outcome is unknown`, error);
  }
  if (isNeonError && NETWORK.test(message)) {
    return unknownOutcome("The SQL-over-HTTP request failed before an answer arrived; the outcome is unknown", error);
  }
  if (isNeonError && !BAD_RESULT.test(message)) {
    return new StorageError(`The SQL-over-HTTP endpoint rejected the request: ${redactMessage(message, params)}`, {
      cause: error,
      outcomeUnknown: false,
    });
  }
  return unknownOutcome("The SQL-over-HTTP answer could not be read; the outcome is unknown", error);
}

function unknownOutcome(message: string, cause: unknown): StorageError {
  return new StorageError(message, { cause, outcomeUnknown: true });
}
