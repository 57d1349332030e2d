/**
 * Mapping node-postgres errors to {@link StorageError}.
 * @module
 */
import { StorageError } from "../../core/errors.ts";
import { postgresStorageError } from "../failure/mod.ts";

/** How far a call had got when it failed, which decides whether it may have committed. */
export type PgFailurePoint = "connect" | "transaction" | "commit" | "autocommit";

/**
 * Map an error from a pool or client to a {@link StorageError}.
 *
 * Postgres errors keep their SQLSTATE and commit nothing. Other errors (a refused or broken
 * connection) have no SQLSTATE; `outcomeUnknown` is true when the work may have committed:
 * an autocommit statement, or a batch whose COMMIT was sent. A connection lost earlier in a
 * batch takes its open transaction with it.
 *
 * @param error what the driver threw
 * @param params the text of every parameter sent, kept out of the message
 * @param point where the call failed
 * @returns the StorageError, with `error` as `cause`
 * @example
 * ```ts
 * import type pg from "pg";
 *
 * async function run(pool: pg.Pool, text: string, params: (string | null)[]): Promise<pg.QueryResult> {
 *   try {
 *     return await pool.query(text, params);
 *   } catch (err) {
 *     throw pgFailure(err, params, "autocommit"); // may have committed unless Postgres refused it
 *   }
 * }
 * ```
 */
export function pgFailure(error: unknown, params: readonly (string | null)[], point: PgFailurePoint): StorageError {
  const fromPostgres = postgresStorageError(error, params);
  if (fromPostgres !== undefined) return fromPostgres;
  const code = (error as { code?: unknown } | null)?.code;
  const suffix = typeof code === "string" && /^[A-Z0-9_]{1,32}$/.test(code) ? ` (${code})` : "";
  if (point === "connect") {
    return new StorageError(`Could not get a database connection${suffix}`, { cause: error, outcomeUnknown: false });
  }
  if (point === "transaction") {
    return new StorageError(`The database connection failed during the transaction${suffix}`, {
      cause: error,
      outcomeUnknown: false,
    });
  }
  return new StorageError(`The database connection failed; the outcome is unknown${suffix}`, {
    cause: error,
    outcomeUnknown: true,
  });
}
