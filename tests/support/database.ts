/**
 * Where the test Postgres lives, and unique names inside it.
 * @module
 */
import process from "node:process";

/** The database the suites use when `DATABASE_URL` is not set (trust auth, local). */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * The URL of the test Postgres: `DATABASE_URL`, or {@link DEFAULT_DATABASE_URL}.
 *
 * @returns a `postgres://` URL
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: databaseUrl() });
 * ```
 */
export function databaseUrl(): string {
  const url = process.env["DATABASE_URL"];
  return url === undefined || url === "" ? DEFAULT_DATABASE_URL : url;
}

/**
 * A fresh schema name, unique across processes and runs: `ee_` and 16 random hex digits.
 *
 * @param prefix the start of the name (a valid identifier)
 * @returns a name safe to use unquoted
 * @example
 * ```ts
 * uniqueSchemaName() // => "ee_3f9c0a1b2d4e5f60"
 * ```
 */
export function uniqueSchemaName(prefix = "ee"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
